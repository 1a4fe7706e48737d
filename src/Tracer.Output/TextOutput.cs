using Tracer.Analysis.Findings;

namespace Tracer.Output;

/// <summary>Findings as plain lines, for logs and pipes: time, kind, then owner and 4-tuple for a connection, message.</summary>
/// <param name="growth">Whether <c>slab.growth</c> lines are printed (each interval's top caches: only when asked for).</param>
public sealed class TextOutput(TextWriter writer, Func<ulong, DateTime> wallClock, bool growth = false) : IFindingSink
{
    public void Emit(Finding finding)
    {
        if (finding.Kind == FindingKind.SlabGrowth && !growth)
        {
            return;
        }

        writer.WriteLine(Format(finding, wallClock));
        writer.Flush();
    }

    public static string Format(Finding f, Func<ulong, DateTime> wallClock)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(wallClock);
        var time = $"{wallClock(f.TimestampNs):HH:mm:ss.fff}";
        if (f is not ConnectionFinding c)
        {
            return $"{time} {f.Kind}: {f.Message}";
        }

        var owner = c.Pid == 0 ? "?" : $"{c.Pid}/{c.Comm}";
        var incomplete = c.PossiblyIncomplete ? $" [may be incomplete: {c.LostSamples} samples of this connection lost]" : "";
        return $"{time} {f.Kind} {owner} {c.Endpoints}: {f.Message}{incomplete}";
    }
}
