using System.Buffers.Binary;

namespace Tracer.Analysis.Tests.Fuzzing;

/// <summary>
/// Mutates binary recordings knowing their layout (docs/replay-format.md): header and record
/// fields set to boundary values, records dropped, repeated or of unknown type, splices at record
/// boundaries, plus the format-blind mutations. Most mutants get their checksums recomputed so
/// the damage reaches the decoder instead of stopping at the checksum.
/// </summary>
internal static class RecordingMutator
{
    private const int HeaderLengthOffset = 10;
    private const int RecordHeaderBytes = 8;

    /// <summary>(offset, width) of the header fields.</summary>
    private static readonly (int Offset, int Width)[] HeaderFields = [(8, 2), (10, 2), (12, 8), (20, 8), (28, 2)];

    /// <summary>(offset from the record start, width) of the record fields that steer decoding.</summary>
    private static readonly (int Offset, int Width)[] RecordFields =
        [(0, 2), (2, 1), (3, 1), (8, 8), (40, 8), (80, 4), (116, 4), (120, 2), (128, 1), (131, 1), (132, 1)];

    private static readonly ulong[][] BoundaryValues =
    [
        [],
        [0, 1, 2, 13, 14, 15, 127, 128, 254, 255],
        [0, 1, 2, 7, 8, 9, 10, 29, 30, 33, 34, 35, 132, 133, 134, 388, 389, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF],
        [],
        [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF],
        [], [], [],
        [0, 1, 0xFFFF_FFFF, 1UL << 62, long.MaxValue, 1UL << 63, ulong.MaxValue],
    ];

    public static byte[] Mutate(Random random, IReadOnlyList<byte[]> seeds)
    {
        byte[] data = [.. seeds[random.Next(seeds.Count)]];
        for (var rounds = random.Next(1, 5); rounds > 0; rounds--)
        {
            data = random.Next(10) switch
            {
                < 4 => SetField(random, data),
                4 => DropRecord(random, data),
                5 => RepeatRecord(random, data),
                6 => InsertUnknownRecord(random, data),
                7 => SpliceAtRecords(random, data, seeds[random.Next(seeds.Count)]),
                _ => [.. ByteMutations.Any(random, [.. data], seeds)],
            };
        }

        if (random.Next(10) < 7)
        {
            FixChecksums(data);
        }

        return data;
    }

    /// <summary>The (offset, length) of each record that the length fields lay out, up to the first that does not fit.</summary>
    public static List<(int Offset, int Length)> Records(byte[] data)
    {
        var records = new List<(int, int)>();
        if (data.Length < HeaderLengthOffset + 2)
        {
            return records;
        }

        var at = (int)BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(HeaderLengthOffset));
        while (at + RecordHeaderBytes <= data.Length)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(at));
            if (length < RecordHeaderBytes || at + length > data.Length)
            {
                break;
            }

            records.Add((at, length));
            at += length;
        }

        return records;
    }

    /// <summary>Recomputes the header's and every laid-out record's CRC-32C in place.</summary>
    public static void FixChecksums(byte[] data)
    {
        if (data.Length >= HeaderLengthOffset + 2
            && BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(HeaderLengthOffset)) is var headerLength
            && headerLength >= sizeof(uint) && headerLength <= data.Length)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(headerLength - sizeof(uint)), Checksum.Crc32C(data.AsSpan(0, headerLength - sizeof(uint))));
        }

        foreach (var (offset, length) in Records(data))
        {
            BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(offset + 4), Checksum.Crc32C(data.AsSpan(offset + RecordHeaderBytes, length - RecordHeaderBytes)));
        }
    }

    private static byte[] SetField(Random random, byte[] data)
    {
        var records = Records(data);
        var (offset, width) = records.Count == 0 || random.Next(4) == 0
            ? HeaderFields[random.Next(HeaderFields.Length)]
            : Relative(records[random.Next(records.Count)].Offset, RecordFields[random.Next(RecordFields.Length)]);
        if (offset + width > data.Length)
        {
            return data;
        }

        var field = data.AsSpan(offset, width);
        var current = ReadLittleEndian(field);
        var value = random.Next(3) switch
        {
            0 => current + 1,
            1 => current - 1,
            _ => BoundaryValues[width][random.Next(BoundaryValues[width].Length)],
        };
        for (var i = 0; i < width; i++)
        {
            field[i] = (byte)(value >> (8 * i));
        }

        return data;
    }

    private static (int, int) Relative(int recordOffset, (int Offset, int Width) field) => (recordOffset + field.Offset, field.Width);

    private static ulong ReadLittleEndian(ReadOnlySpan<byte> field)
    {
        var value = 0UL;
        for (var i = field.Length - 1; i >= 0; i--)
        {
            value = (value << 8) | field[i];
        }

        return value;
    }

    private static byte[] DropRecord(Random random, byte[] data)
    {
        var records = Records(data);
        if (records.Count == 0)
        {
            return data;
        }

        var (offset, length) = records[random.Next(records.Count)];
        return [.. data.AsSpan(0, offset), .. data.AsSpan(offset + length)];
    }

    private static byte[] RepeatRecord(Random random, byte[] data)
    {
        var records = Records(data);
        if (records.Count == 0)
        {
            return data;
        }

        var (offset, length) = records[random.Next(records.Count)];
        var copy = data.AsSpan(offset, length);
        return [.. data.AsSpan(0, offset + length), .. copy, .. copy, .. data.AsSpan(offset + length)];
    }

    private static byte[] InsertUnknownRecord(Random random, byte[] data)
    {
        var record = new byte[random.Next(RecordHeaderBytes, 400)];
        random.NextBytes(record);
        BinaryPrimitives.WriteUInt16LittleEndian(record, (ushort)record.Length);
        record[2] = (byte)random.Next(2, 256);
        var records = Records(data);
        var at = records.Count == 0 ? data.Length : records[random.Next(records.Count)].Offset;
        return [.. data.AsSpan(0, at), .. record, .. data.AsSpan(at)];
    }

    /// <summary>The header and first records of one recording followed by the last records of another.</summary>
    private static byte[] SpliceAtRecords(Random random, byte[] data, byte[] other)
    {
        var head = Records(data);
        var tail = Records(other);
        var cut = head.Count == 0 ? data.Length : head[random.Next(head.Count)].Offset;
        var from = tail.Count == 0 ? other.Length : tail[random.Next(tail.Count)].Offset;
        return [.. data.AsSpan(0, cut), .. other.AsSpan(from)];
    }
}
