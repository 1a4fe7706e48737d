using System.Buffers.Binary;
using System.Text;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Recording;

/// <summary>
/// Writes samples to a binary recording (format version <see cref="RecordingFormat.Version"/>).
/// The header is written by the constructor; each sample is one record written
/// straight to the stream, so give it a buffered stream (a FileStream is).
/// </summary>
public sealed class RecordingWriter : IDisposable
{
    private readonly Stream stream;
    private readonly bool leaveOpen;
    private readonly byte[] record = new byte[RecordingFormat.MaxSampleRecordBytes];
    private bool disposed;

    /// <summary>Starts a recording made now on this machine; see <see cref="RecordingHeader.Capture"/>.</summary>
    public RecordingWriter(Stream stream, string kernelRelease, bool leaveOpen = false)
        : this(stream, RecordingHeader.Capture(kernelRelease), leaveOpen)
    {
    }

    public RecordingWriter(Stream stream, RecordingHeader header, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(header);
        this.stream = stream;
        this.leaveOpen = leaveOpen;
        Header = header with { FormatVersion = RecordingFormat.Version };
        WriteHeader(Header);
    }

    public RecordingHeader Header { get; }

    public long SamplesWritten { get; private set; }

    public void Write(in TcpSample sample)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var length = SampleRecord.Encode(record, sample);
        stream.Write(record, 0, length);
        SamplesWritten++;
    }

    public void Flush() => stream.Flush();

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        stream.Flush();
        if (!leaveOpen)
        {
            stream.Dispose();
        }
    }

    private void WriteHeader(RecordingHeader header)
    {
        var releaseLength = Encoding.UTF8.GetByteCount(header.KernelRelease);
        if (releaseLength > RecordingFormat.MaxKernelReleaseBytes)
        {
            throw new ArgumentException($"kernel release longer than {RecordingFormat.MaxKernelReleaseBytes} bytes", nameof(header));
        }

        // host, tracer version and filters follow the release, each a u16 length and UTF-8, when any is known
        var described = header.Described.Any(d => d is not null) ? header.Described.Select(d => Encoding.UTF8.GetBytes(d ?? "")).ToArray() : [];
        if (described.Any(d => d.Length > RecordingFormat.MaxDescriptionBytes))
        {
            throw new ArgumentException($"host, tracer version or filters longer than {RecordingFormat.MaxDescriptionBytes} bytes", nameof(header));
        }

        var length = RecordingFormat.HeaderFixedBytes + releaseLength + described.Sum(d => sizeof(ushort) + d.Length) + sizeof(uint);
        Span<byte> bytes = stackalloc byte[length];
        RecordingFormat.Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[8..], RecordingFormat.Version);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[10..], (ushort)length);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[12..], RecordingHeader.UnixNanoseconds(header.CreatedUtc));
        BinaryPrimitives.WriteInt64LittleEndian(bytes[20..], header.MonotonicToWallOffsetNs);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[28..], (ushort)releaseLength);
        Encoding.UTF8.GetBytes(header.KernelRelease, bytes[RecordingFormat.HeaderFixedBytes..]);
        var at = RecordingFormat.HeaderFixedBytes + releaseLength;
        foreach (var d in described)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes[at..], (ushort)d.Length);
            d.CopyTo(bytes[(at + sizeof(ushort))..]);
            at += sizeof(ushort) + d.Length;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(bytes[^sizeof(uint)..], Crc32C.Compute(bytes[..^sizeof(uint)]));
        stream.Write(bytes);
    }
}
