namespace Tracer.Report;

/// <summary>Slab growth per cache and SUnreclaim over time, from <c>slab.growth</c> findings or from <c>tracer run</c>'s metrics.</summary>
public sealed class SlabSeries
{
    private readonly Dictionary<string, List<(ReportTime Time, double Objects)>> growth = [];
    private readonly Dictionary<string, double> firstCount = [];

    /// <summary>Objects each cache holds more than when it was first seen, in time order per cache.</summary>
    public IReadOnlyDictionary<string, List<(ReportTime Time, double Objects)>> Growth => growth;

    /// <summary>SUnreclaim in bytes.</summary>
    public List<(ReportTime Time, double Bytes)> SUnreclaim { get; } = [];

    /// <summary>A <c>slab.growth</c> interval: the cache's net objects add to its running total.</summary>
    public void AddNet(string cache, ReportTime time, double netObjects)
    {
        var points = Points(cache);
        points.Add((time, (points.Count > 0 ? points[^1].Objects : 0) + netObjects));
    }

    /// <summary>A cache's object count at <paramref name="time"/> (a metric): its growth since the first count.</summary>
    public void AddCount(string cache, ReportTime time, double objects)
    {
        if (!firstCount.TryGetValue(cache, out var first))
        {
            firstCount[cache] = first = objects;
        }

        Points(cache).Add((time, objects - first));
    }

    private List<(ReportTime Time, double Objects)> Points(string cache)
    {
        if (!growth.TryGetValue(cache, out var points))
        {
            growth[cache] = points = [];
        }

        return points;
    }
}
