namespace Tracer.Analysis.Recording;

/// <summary>A read buffer over a stream that knows the absolute offset of what it holds, so callers can peek before consuming.</summary>
internal sealed class BufferedInput
{
    private readonly Stream stream;
    private readonly int maxBuffered;
    private byte[] buffer = new byte[64 * 1024];
    private int start;
    private int end;
    private bool eof;

    public BufferedInput(Stream stream, int maxBuffered)
    {
        this.stream = stream;
        this.maxBuffered = maxBuffered;
    }

    public static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>Absolute offset of the first byte of <see cref="Buffered"/>.</summary>
    public long Offset { get; private set; }

    public ReadOnlySpan<byte> Buffered => buffer.AsSpan(start, end - start);

    /// <summary>Reads until <paramref name="count"/> bytes are buffered; false when the stream ends first.</summary>
    public bool Ensure(int count)
    {
        if (end - start >= count)
        {
            return true;
        }

        if (count > maxBuffered)
        {
            throw new InvalidOperationException($"cannot buffer {count} bytes (limit {maxBuffered})");
        }

        if (count > buffer.Length)
        {
            var bigger = new byte[Math.Min(maxBuffered, Math.Max(count, buffer.Length * 2))];
            Buffered.CopyTo(bigger);
            buffer = bigger;
            end -= start;
            start = 0;
        }
        else if (start + count > buffer.Length)
        {
            Buffered.CopyTo(buffer);
            end -= start;
            start = 0;
        }

        while (end - start < count && !eof)
        {
            var read = stream.Read(buffer, end, buffer.Length - end);
            eof = read == 0;
            end += read;
        }

        return end - start >= count;
    }

    public void Advance(int count)
    {
        start += count;
        Offset += count;
    }
}
