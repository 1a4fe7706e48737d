using Tracer.Analysis.Findings;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Tcp;

namespace Tracer.Output;

/// <summary>One JSON object per line on a stream: findings and, with <paramref name="samples"/>, every sample (replayable).</summary>
public sealed class JsonLinesOutput(Stream stream, bool samples = false) : IFindingSink, IDisposable
{
    private readonly JsonLinesWriter writer = new(stream);

    public void Emit(Finding finding) => writer.Write(json => FindingJson.Write(json, finding));

    public void Sample(in TcpSample sample)
    {
        if (samples)
        {
            writer.Write(sample);
        }
    }

    public void Dispose() => writer.Dispose();
}
