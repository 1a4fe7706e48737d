using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Recording;

public enum SampleFormat
{
    Recording = 1,
    JsonLines = 2,
}

/// <summary>
/// Opens a file of samples, tells a binary recording from JSON Lines by its first
/// bytes, and reads the samples lazily. Anything else is a <see cref="ReplayFormatException"/>.
/// </summary>
public sealed class SampleSource : IDisposable
{
    private const int MaxLeadingWhitespace = 64 * 1024;

    private readonly Stream stream;
    private readonly bool leaveOpen;
    private readonly RecordingReader? recording;
    private readonly JsonLinesSampleReader? jsonLines;

    private SampleSource(Stream stream, string? name, bool leaveOpen)
    {
        this.stream = stream;
        this.leaveOpen = leaveOpen;
        var input = new BufferedInput(stream, JsonLinesSampleReader.MaxLineBytes + 1);
        input.Ensure(1);
        if (!input.Buffered.IsEmpty && input.Buffered[0] == RecordingFormat.Magic[0])
        {
            recording = new RecordingReader(stream, input, leaveOpen: true, name);
            Format = SampleFormat.Recording;
        }
        else if (LooksLikeJsonLines(input))
        {
            jsonLines = new JsonLinesSampleReader(stream, input, leaveOpen: true, name);
            Format = SampleFormat.JsonLines;
        }
        else
        {
            input.Ensure(RecordingFormat.Magic.Length);
            var head = Convert.ToHexString(input.Buffered[..Math.Min(RecordingFormat.Magic.Length, input.Buffered.Length)]);
            throw ReplayFormatException.AtOffset(name, 0, $"neither a tracer recording nor JSON Lines samples (starts with 0x{head})");
        }
    }

    public SampleFormat Format { get; }

    /// <summary>The recording's header; null for JSON Lines.</summary>
    public RecordingHeader? Header => recording?.Header;

    /// <summary>Opens a file; errors name it.</summary>
    public static SampleSource Open(string path) =>
        Open(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan), path);

    /// <summary>Reads from a stream, which need not be seekable (a pipe works); <paramref name="name"/> labels errors.</summary>
    public static SampleSource Open(Stream stream, string? name = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            return new SampleSource(stream, name, leaveOpen);
        }
        catch when (!leaveOpen)
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The samples, lazily, in file order; single pass.</summary>
    public IEnumerable<TcpSample> ReadAll() => recording?.ReadAll() ?? jsonLines!.ReadAll();

    public void Dispose()
    {
        if (!leaveOpen)
        {
            stream.Dispose();
        }
    }

    /// <summary>After an optional BOM and whitespace comes '{' or '#', or nothing at all.</summary>
    private static bool LooksLikeJsonLines(BufferedInput input)
    {
        var i = 0;
        while (true)
        {
            if (i >= input.Buffered.Length && (i >= MaxLeadingWhitespace || !input.Ensure(i + 1)))
            {
                return i < MaxLeadingWhitespace;
            }

            var b = input.Buffered[i];
            if (i == 0 && b == BufferedInput.Utf8Bom[0] && input.Ensure(3) && input.Buffered.StartsWith(BufferedInput.Utf8Bom))
            {
                i = BufferedInput.Utf8Bom.Length;
                continue;
            }

            if (b is (byte)'{' or (byte)'#')
            {
                return true;
            }

            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }

            i++;
        }
    }
}
