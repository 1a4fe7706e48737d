using System.Text.Json;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Tcp;

namespace Tracer.Cli.Output;

/// <summary>One JSON object per line on a stream: samples, findings and drop reports.</summary>
public sealed class JsonLinesOutput : IFindingSink, IDisposable
{
    private readonly Stream stream;
    private readonly Utf8JsonWriter json;

    public JsonLinesOutput(Stream stream)
    {
        this.stream = stream;
        json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public void Emit(Finding finding)
    {
        FindingJson.Write(json, finding);
        EndLine();
    }

    public void Sample(in TcpSample sample)
    {
        SampleJson.Write(json, sample);
        EndLine();
    }

    /// <summary>Samples the kernel could not hand over (full buffer): findings may be incomplete.</summary>
    public void Drops(ulong totalDropped, ulong sinceLast)
    {
        json.WriteStartObject();
        json.WriteString("kind", "tracer.drops");
        json.WriteNumber("dropped_total", totalDropped);
        json.WriteNumber("dropped", sinceLast);
        json.WriteString("message", $"{sinceLast} samples dropped by the kernel (buffer full); findings for this period may be incomplete");
        json.WriteEndObject();
        EndLine();
    }

    public void Dispose()
    {
        json.Dispose();
        stream.Flush();
    }

    private void EndLine()
    {
        json.Flush();
        json.Reset();
        stream.WriteByte((byte)'\n');
        stream.Flush();
    }
}
