using Tracer.Analysis.Findings;
using Tracer.Analysis.Formatting;

namespace Tracer.Output;

/// <summary>Findings as plain lines, for logs and pipes: time, kind, then owner and 4-tuple for a connection, message.</summary>
/// <param name="stamp">A kernel timestamp as the line's time: <see cref="Utc"/> live, <see cref="Timestamps.SinceStart"/> in a replay.</param>
/// <param name="growth">Whether <c>slab.growth</c> lines are printed (each interval's top caches: only when asked for).</param>
public sealed class TextOutput(TextWriter writer, Func<ulong, string> stamp, bool growth = false) : IFindingSink
{
    /// <summary>Lines stamped with the UTC clock time ("03:12:41.123Z") of <paramref name="wallClock"/>.</summary>
    public TextOutput(TextWriter writer, Func<ulong, DateTime> wallClock, bool growth = false)
        : this(writer, Utc(wallClock), growth)
    {
    }

    public static Func<ulong, string> Utc(Func<ulong, DateTime> wallClock)
    {
        ArgumentNullException.ThrowIfNull(wallClock);
        return ts => Timestamps.Clock(wallClock(ts));
    }

    public void Emit(Finding finding)
    {
        if (finding.Kind == FindingKind.SlabGrowth && !growth)
        {
            return;
        }

        writer.WriteLine(Format(finding, stamp));
        writer.Flush();
    }

    public static string Format(Finding f, Func<ulong, string> stamp)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(stamp);
        var time = stamp(f.TimestampNs);
        if (f is not ConnectionFinding c)
        {
            return $"{time} {f.Kind}: {f.Message}";
        }

        var owner = c.Pid == 0 ? "?" : $"{c.Pid}/{c.Comm}";
        var incomplete = c.PossiblyIncomplete ? $" [may be incomplete: {c.LostSamples} samples of this connection lost]" : "";
        return $"{time} {f.Kind} {owner} {c.Endpoints}: {f.Message}{incomplete}";
    }
}
