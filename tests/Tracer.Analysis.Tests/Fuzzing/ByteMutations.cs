namespace Tracer.Analysis.Tests.Fuzzing;

/// <summary>Format-blind mutations: bit flips, byte insert/delete, truncation, splicing.</summary>
internal static class ByteMutations
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x7F, 0x80, 0xFF, (byte)'\n', (byte)'\r', (byte)'{', (byte)'"', 0xEF, 0xC0];

    private static List<byte> FlipBits(Random random, List<byte> data)
    {
        for (var flips = random.Next(1, 9); flips > 0 && data.Count > 0; flips--)
        {
            var at = random.Next(data.Count);
            data[at] ^= (byte)(1 << random.Next(8));
        }

        return data;
    }

    private static List<byte> SetInterestingByte(Random random, List<byte> data)
    {
        if (data.Count > 0)
        {
            data[random.Next(data.Count)] = InterestingBytes[random.Next(InterestingBytes.Length)];
        }

        return data;
    }

    private static List<byte> InsertRandomBytes(Random random, List<byte> data)
    {
        var bytes = new byte[random.Next(1, 17)];
        random.NextBytes(bytes);
        data.InsertRange(random.Next(data.Count + 1), bytes);
        return data;
    }

    private static List<byte> DeleteRange(Random random, List<byte> data)
    {
        if (data.Count > 0)
        {
            var at = random.Next(data.Count);
            data.RemoveRange(at, random.Next(1, Math.Min(data.Count - at, 64) + 1));
        }

        return data;
    }

    private static List<byte> DuplicateRange(Random random, List<byte> data)
    {
        if (data.Count > 0)
        {
            var at = random.Next(data.Count);
            var copy = data.GetRange(at, random.Next(1, Math.Min(data.Count - at, 256) + 1));
            data.InsertRange(random.Next(data.Count + 1), copy);
        }

        return data;
    }

    private static List<byte> Truncate(Random random, List<byte> data)
    {
        var cut = random.Next(data.Count + 1);
        data.RemoveRange(cut, data.Count - cut);
        return data;
    }

    /// <summary>A prefix of <paramref name="data"/> and a suffix of <paramref name="other"/>, cut at random places.</summary>
    private static List<byte> Splice(Random random, List<byte> data, byte[] other)
    {
        var cut = random.Next(data.Count + 1);
        data.RemoveRange(cut, data.Count - cut);
        data.AddRange(other.AsSpan(random.Next(other.Length + 1)));
        return data;
    }

    /// <summary>One of the format-blind mutations, chosen at random.</summary>
    public static List<byte> Any(Random random, List<byte> data, IReadOnlyList<byte[]> seeds) => random.Next(7) switch
    {
        0 => FlipBits(random, data),
        1 => SetInterestingByte(random, data),
        2 => InsertRandomBytes(random, data),
        3 => DeleteRange(random, data),
        4 => DuplicateRange(random, data),
        5 => Truncate(random, data),
        _ => Splice(random, data, seeds[random.Next(seeds.Count)]),
    };
}
