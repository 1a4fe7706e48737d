using Tracer.Analysis.Findings;
using Tracer.Analysis.Overhead;

namespace Tracer.Cli.Output;

/// <summary>Findings as plain lines, for logs and pipes: time, kind, owner, 4-tuple, message.</summary>
public sealed class TextOutput(TextWriter writer, Func<ulong, DateTime> wallClock) : IFindingSink
{
    public void Emit(Finding finding)
    {
        writer.WriteLine(Format(finding, wallClock));
        writer.Flush();
    }

    public static string Format(Finding f, Func<ulong, DateTime> wallClock)
    {
        if (f is OverheadStepFinding)
        {
            return $"{wallClock(f.TimestampNs):HH:mm:ss.fff} {f.Kind}: {f.Message}";
        }

        var owner = f.Pid == 0 ? "?" : $"{f.Pid}/{f.Comm}";
        var incomplete = f.PossiblyIncomplete ? $" [may be incomplete: {f.LostSamples} samples of this connection lost]" : "";
        return $"{wallClock(f.TimestampNs):HH:mm:ss.fff} {f.Kind} {owner} {f.Endpoints}: {f.Message}{incomplete}";
    }
}
