using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Recording;

/// <summary>
/// Reads a binary recording. The constructor reads and checks the header; samples
/// are read one at a time. Records of unknown types are skipped. Any damage
/// throws <see cref="ReplayFormatException"/> naming the byte offset.
/// </summary>
public sealed class RecordingReader : IDisposable
{
    private const int MaxBuffered = 64 * 1024;

    private readonly Stream stream;
    private readonly bool leaveOpen;
    private readonly BufferedInput input;
    private readonly string? sourceName;
    private readonly StringInterner interner = new();

    public RecordingReader(Stream stream, bool leaveOpen = false, string? sourceName = null)
        : this(stream, new BufferedInput(stream ?? throw new ArgumentNullException(nameof(stream)), MaxBuffered), leaveOpen, sourceName)
    {
    }

    internal RecordingReader(Stream stream, BufferedInput input, bool leaveOpen, string? sourceName)
    {
        this.stream = stream;
        this.input = input;
        this.leaveOpen = leaveOpen;
        this.sourceName = sourceName;
        Header = ReadHeader();
    }

    public RecordingHeader Header { get; }

    /// <summary>The next sample; false at the clean end of the recording.</summary>
    public bool TryRead(out TcpSample sample)
    {
        while (true)
        {
            var offset = input.Offset;
            if (!input.Ensure(1))
            {
                sample = default;
                return false;
            }

            if (!input.Ensure(RecordingFormat.RecordHeaderBytes))
            {
                throw Error(offset, $"truncated record header: {input.Buffered.Length} of {RecordingFormat.RecordHeaderBytes} bytes");
            }

            var length = BinaryPrimitives.ReadUInt16LittleEndian(input.Buffered);
            if (length < RecordingFormat.RecordHeaderBytes)
            {
                throw Error(offset, $"corrupt record: length {length} is shorter than the record header");
            }

            if (!input.Ensure(length))
            {
                throw Error(offset, $"truncated record: {input.Buffered.Length} of {length} bytes");
            }

            var record = input.Buffered[..length];
            if (Crc32C.Compute(record[RecordingFormat.RecordHeaderBytes..]) != BinaryPrimitives.ReadUInt32LittleEndian(record[4..]))
            {
                throw Error(offset, "corrupt record: checksum mismatch");
            }

            if (record[2] != RecordingFormat.SampleRecordType)
            {
                input.Advance(length);
                continue;
            }

            var problem = SampleRecord.TryDecode(record, interner, out sample);
            if (problem is not null)
            {
                throw Error(offset, "corrupt record: " + problem);
            }

            input.Advance(length);
            return true;
        }
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

    private RecordingHeader ReadHeader()
    {
        var magic = RecordingFormat.Magic;
        input.Ensure(magic.Length);
        var head = input.Buffered;
        var compared = Math.Min(head.Length, magic.Length);
        if (head.Length == 0 || !head[..compared].SequenceEqual(magic[..compared]))
        {
            throw Error(0, "not a tracer recording (bad magic)");
        }

        if (!input.Ensure(12))
        {
            throw Error(0, $"truncated header: {input.Buffered.Length} bytes");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(input.Buffered[8..]);
        if (version > RecordingFormat.Version)
        {
            throw Error(8, string.Create(
                CultureInfo.InvariantCulture,
                $"recording format version {version} is newer than this tracer reads (version {RecordingFormat.Version}); use a newer tracer"));
        }

        if (version == 0)
        {
            throw Error(8, "corrupt header: format version 0");
        }

        var length = BinaryPrimitives.ReadUInt16LittleEndian(input.Buffered[10..]);
        if (length < RecordingFormat.HeaderFixedBytes + sizeof(uint))
        {
            throw Error(10, $"corrupt header: header length {length} is too short");
        }

        if (!input.Ensure(length))
        {
            throw Error(0, $"truncated header: {input.Buffered.Length} of {length} bytes");
        }

        var header = input.Buffered[..length];
        if (Crc32C.Compute(header[..^sizeof(uint)]) != BinaryPrimitives.ReadUInt32LittleEndian(header[^sizeof(uint)..]))
        {
            throw Error(0, "corrupt header: checksum mismatch");
        }

        var releaseLength = BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
        if (RecordingFormat.HeaderFixedBytes + releaseLength + sizeof(uint) > length)
        {
            throw Error(28, "corrupt header: kernel release overruns the header");
        }

        var createdTicks = BinaryPrimitives.ReadInt64LittleEndian(header[12..]) / TimeSpan.NanosecondsPerTick;
        if (createdTicks < 0 || createdTicks > DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks)
        {
            throw Error(12, "corrupt header: creation time out of range");
        }

        // host, tracer version and filters, in that order, when the header has room for them
        var described = new string?[3];
        var at = RecordingFormat.HeaderFixedBytes + releaseLength;
        for (var i = 0; i < described.Length && at + sizeof(ushort) <= length - sizeof(uint); i++)
        {
            var textLength = BinaryPrimitives.ReadUInt16LittleEndian(header[at..]);
            if (at + sizeof(ushort) + textLength > length - sizeof(uint))
            {
                throw Error(at, $"corrupt header: {(i == 0 ? "host" : i == 1 ? "tracer version" : "filters")} overruns the header");
            }

            described[i] = Encoding.UTF8.GetString(header.Slice(at + sizeof(ushort), textLength));
            at += sizeof(ushort) + textLength;
        }

        var result = new RecordingHeader(
            Encoding.UTF8.GetString(header.Slice(RecordingFormat.HeaderFixedBytes, releaseLength)),
            DateTimeOffset.UnixEpoch.AddTicks(createdTicks),
            BinaryPrimitives.ReadInt64LittleEndian(header[20..]))
        {
            FormatVersion = version,
            Host = described[0],
            TracerVersion = described[1],
            Filters = described[2],
        };
        input.Advance(length);
        return result;
    }

    private ReplayFormatException Error(long offset, string detail) => ReplayFormatException.AtOffset(sourceName, offset, detail);
}
