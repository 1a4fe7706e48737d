using Tracer.Analysis.Findings;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Slab;
using Tracer.Analysis.Tcp;

namespace Tracer.Cli.Output;

/// <summary>One JSON object per line on a stream: samples, findings and drop reports.</summary>
public sealed class JsonLinesOutput(Stream stream) : IFindingSink, ISlabFindingSink, IDisposable
{
    private readonly JsonLinesWriter writer = new(stream);

    public void Emit(Finding finding) => writer.Write(finding);

    public void Emit(SlabFinding finding) => writer.Write(finding);

    public void Sample(in TcpSample sample) => writer.Write(sample);

    /// <summary>Samples the kernel could not hand over (full buffer): findings may be incomplete.</summary>
    public void Drops(ulong totalDropped, ulong sinceLast, IReadOnlyList<ulong> totalPerCpu) => writer.Write(json =>
    {
        json.WriteStartObject();
        json.WriteString("kind", "tracer.drops");
        json.WriteNumber("dropped_total", totalDropped);
        json.WriteNumber("dropped", sinceLast);
        json.WriteStartArray("dropped_total_per_cpu");
        foreach (var n in totalPerCpu)
        {
            json.WriteNumberValue(n);
        }

        json.WriteEndArray();
        json.WriteString("message", $"{sinceLast} samples dropped by the kernel (buffer full); findings for this period may be incomplete");
        json.WriteEndObject();
    });

    public void Dispose() => writer.Dispose();
}
