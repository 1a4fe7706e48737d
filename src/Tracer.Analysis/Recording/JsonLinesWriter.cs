using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Recording;

/// <summary>
/// Writes samples and other objects as JSON Lines, one object per line. A file of
/// samples written here replays with <see cref="JsonLinesSampleReader"/>; finding
/// lines in it are skipped on replay.
/// </summary>
public sealed class JsonLinesWriter : IDisposable
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Stream stream;
    private readonly bool leaveOpen;
    private readonly ArrayBufferWriter<byte> buffer = new(1024);
    private readonly Utf8JsonWriter json;

    public JsonLinesWriter(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        this.stream = stream;
        this.leaveOpen = leaveOpen;
        json = new Utf8JsonWriter(buffer, Options);
    }

    public void Write(in TcpSample sample, DateTime? time = null)
    {
        SampleJson.Write(json, sample, time);
        EndLine();
    }

    /// <summary>Any other object on its own line (findings, verdicts).</summary>
    public void Write(Action<Utf8JsonWriter> writeObject)
    {
        ArgumentNullException.ThrowIfNull(writeObject);
        writeObject(json);
        EndLine();
    }

    public void Flush() => stream.Flush();

    public void Dispose()
    {
        json.Dispose();
        stream.Flush();
        if (!leaveOpen)
        {
            stream.Dispose();
        }
    }

    private void EndLine()
    {
        json.Flush();
        buffer.Write("\n"u8);
        stream.Write(buffer.WrittenSpan);
        buffer.ResetWrittenCount();
        json.Reset(buffer);
    }
}
