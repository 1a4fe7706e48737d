using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Recording;

/// <summary>
/// Reads samples from JSON Lines (docs/replay-format.md): one object per line;
/// blank lines, lines starting with '#', and objects whose "kind" is not
/// "tcp.sample" are skipped. A bad line throws <see cref="ReplayFormatException"/>
/// naming the line number and field.
/// </summary>
public sealed class JsonLinesSampleReader : IDisposable
{
    /// <summary>Longest line accepted, in bytes.</summary>
    public const int MaxLineBytes = 1024 * 1024;

    private readonly Stream stream;
    private readonly bool leaveOpen;
    private readonly BufferedInput input;
    private readonly string? sourceName;
    private readonly StringInterner interner = new();

    public JsonLinesSampleReader(Stream stream, bool leaveOpen = false, string? sourceName = null)
        : this(stream, new BufferedInput(stream ?? throw new ArgumentNullException(nameof(stream)), MaxLineBytes + 1), leaveOpen, sourceName)
    {
    }

    internal JsonLinesSampleReader(Stream stream, BufferedInput input, bool leaveOpen, string? sourceName)
    {
        this.stream = stream;
        this.input = input;
        this.leaveOpen = leaveOpen;
        this.sourceName = sourceName;
    }

    /// <summary>Number of the line read last (1-based; 0 before the first).</summary>
    public long LineNumber { get; private set; }

    /// <summary>The next sample; false at the end of the input.</summary>
    public bool TryRead(out TcpSample sample)
    {
        sample = default;
        while (NextLine(out var length, out var consumed))
        {
            var line = input.Buffered[..length];
            if (LineNumber == 1 && line.StartsWith(BufferedInput.Utf8Bom))
            {
                line = line[BufferedInput.Utf8Bom.Length..];
            }

            var content = line.Trim(" \t\r"u8);
            var isSample = !content.IsEmpty && content[0] != (byte)'#'
                && SampleJson.TryParse(line, interner, sourceName, LineNumber, out sample);
            input.Advance(consumed);
            if (isSample)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The remaining samples, lazily.</summary>
    public IEnumerable<TcpSample> ReadAll()
    {
        while (TryRead(out var sample))
        {
            yield return sample;
        }
    }

    public void Dispose()
    {
        if (!leaveOpen)
        {
            stream.Dispose();
        }
    }

    /// <summary>Buffers the next line: its length without the newline, and the bytes to consume with it.</summary>
    private bool NextLine(out int length, out int consumed)
    {
        var scanned = 0;
        while (true)
        {
            var buffered = input.Buffered;
            var newline = buffered[scanned..].IndexOf((byte)'\n');
            if (newline >= 0)
            {
                LineNumber++;
                length = scanned + newline;
                consumed = length + 1;
                return true;
            }

            scanned = buffered.Length;
            if (scanned > MaxLineBytes)
            {
                throw ReplayFormatException.AtLine(sourceName, LineNumber + 1, null, $"line longer than {MaxLineBytes} bytes");
            }

            if (!input.Ensure(scanned + 1))
            {
                length = consumed = input.Buffered.Length;
                LineNumber += length > 0 ? 1 : 0;
                return length > 0;
            }
        }
    }
}
