using System.Globalization;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Formatting;
using Tracer.Pipeline;

namespace Tracer.Output;

/// <summary>
/// <c>tracer slab</c> into a pipe or a file: one table per interval, the caches that grow most
/// first (as slabratetop prints them), so the output is never silent while nothing is wrong.
/// </summary>
public sealed class SlabTable(TextWriter writer, int top) : IFindingSink
{
    public void Emit(Finding finding)
    {
    }

    public void Tick(TraceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Slab is not { } slab)
        {
            return;
        }

        var c = CultureInfo.InvariantCulture;
        var sunreclaim = slab.Latest.SUnreclaimKb is { } kb ? Human.Bytes((ulong)kb * 1024) : "?";
        writer.WriteLine(string.Create(c, $"{Clock.ToWallClock(state.NowNs):HH:mm:ss}Z SUnreclaim {sunreclaim}, {(slab.PerObject ? $"per-object hooks, sampling 1/{slab.Latest.SampleEvery}" : "slabinfo watch")}"));
        writer.WriteLine($"{"CACHE",-24} {"ALLOCS/S",10} {"OBJS/S",9} {"BYTES/S",10} {"ACTIVE",9}");
        foreach (var cache in slab.Analyzer.Caches.Take(top))
        {
            var bytes = cache.BytesPerSecond >= 0 ? Human.Bytes((ulong)cache.BytesPerSecond) : "-" + Human.Bytes((ulong)-cache.BytesPerSecond);
            writer.WriteLine(string.Create(c,
                $"{TerminalScreen.Clip(cache.Name, 24),-24} {cache.AllocsPerSecond,10:F0} {cache.ObjectsPerSecond,9:+0;-0;0} {bytes,10} {cache.ActiveObjects?.ToString(c) ?? "?",9}"));
        }

        writer.WriteLine();
        writer.Flush();
    }
}
