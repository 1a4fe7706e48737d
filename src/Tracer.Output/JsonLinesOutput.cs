using Tracer.Analysis.Findings;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Tcp;

namespace Tracer.Output;

/// <summary>One JSON object per line on a stream: findings and, with <paramref name="samples"/>, every sample (replayable).</summary>
/// <param name="wallClock">Kernel time to UTC for each line's <c>time</c>; null when there is none (a replay of samples without a recording header).</param>
public sealed class JsonLinesOutput(Stream stream, Func<ulong, DateTime>? wallClock, bool samples = false) : IFindingSink, IDisposable
{
    private readonly JsonLinesWriter writer = new(stream);

    public void Emit(Finding finding) => writer.Write(json => FindingJson.Write(json, finding, wallClock));

    public void Sample(in TcpSample sample)
    {
        if (samples)
        {
            writer.Write(sample, wallClock?.Invoke(sample.TimestampNs));
        }
    }

    public void Dispose() => writer.Dispose();
}
