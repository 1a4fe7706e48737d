using Tracer.Analysis.Formatting;

namespace Tracer.Analysis.DataPath;

/// <summary>
/// The live half of the data-path verdict: a held or waiting path is called moving only once the
/// bytes the transfer's TCP connections acknowledged or received grow between two looks; an idle
/// path needs no watch. The transfer's connections are those on the verdict's chain, else those
/// with bytes queued, else every connection of the path: a connection the walk reached through a
/// side channel (a log pipe to a supervisor) does not make a stuck transfer look like it moves.
/// </summary>
public sealed class PathConfirmation
{
    private readonly HashSet<ulong> watched;
    private Dictionary<ulong, ulong>? baseline;

    public PathConfirmation(PathGraph graph, PathVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(graph);
        Verdict = verdict ?? throw new ArgumentNullException(nameof(verdict));
        var tcp = graph.Links.Where(l => l.Kind == ChannelKind.Tcp).ToList();
        var onChain = verdict.Chain.Select(h => h.Link).OfType<PathLink>().Where(l => l.Kind == ChannelKind.Tcp).ToList();
        var carrying = tcp.Where(l => l.Queued > 0).ToList();
        watched = (onChain.Count > 0 ? onChain : carrying.Count > 0 ? carrying : tcp).SelectMany(l => l.Cookies).ToHashSet();
    }

    public PathVerdict Verdict { get; }

    /// <summary>Bytes moved on the path since the first look.</summary>
    public bool Moved { get; private set; }

    /// <summary>Nothing left to watch for: the path is idle, or it moved.</summary>
    public bool IsSettled => Verdict.State is PathState.Idle or PathState.NoNetwork || Moved;

    /// <summary>A held path that was not seen moving: the transfer is stuck at its holder.</summary>
    public bool IsStuck => Verdict.State == PathState.Held && !Moved;

    /// <summary>One look at the path's connections: cookie → bytes acknowledged plus bytes received.</summary>
    public void Observe(IReadOnlyDictionary<ulong, ulong> bytesByCookie)
    {
        ArgumentNullException.ThrowIfNull(bytesByCookie);
        if (baseline is null)
        {
            baseline = new Dictionary<ulong, ulong>(bytesByCookie);
            return;
        }

        Moved |= bytesByCookie.Any(c => watched.Contains(c.Key) && baseline.TryGetValue(c.Key, out var before) && c.Value > before);
    }

    /// <summary>The closing sentence about the path, or null when it adds nothing to the connections' verdict (idle).</summary>
    public string? Summary(TimeSpan watched) => Verdict.State switch
    {
        PathState.Idle => null,
        _ when Moved => $"verdict: moving — bytes moved on the data path again within {Human.Duration(watched)}",
        PathState.Held => $"verdict: STUCK — {Verdict.Message}",
        _ => watched > TimeSpan.Zero
            ? $"verdict: unsettled — no byte moved on the data path in {Human.Duration(watched)}: {Verdict.Message}"
            : $"verdict: unsettled — {Verdict.Message}; watch live (--timeout) to see whether bytes move",
    };
}
