using System.Buffers.Text;
using System.Text;

namespace Tracer.Analysis.Slab;

/// <summary>
/// Parsers for the slab lines of /proc/slabinfo and /proc/meminfo, over the files' bytes as read.
/// They run every housekeeping tick of an always-on process: no string per line or field, and an
/// entry that has not changed since <c>previous</c> is that same entry, so a quiet interval allocates
/// only the dictionary.
/// </summary>
public static class ProcSlab
{
    private const string SUnreclaim = "SUnreclaim:";

    /// <summary>Longer than any cache name the kernel prints (slabinfo pads names to 17; the longest are ~30).</summary>
    private const int MaxCacheName = 128;

    /// <summary>/proc/slabinfo version 2.x: <c>name active_objs num_objs objsize …</c> after two header lines.</summary>
    public static Dictionary<string, SlabinfoEntry> ParseSlabinfo(ReadOnlySpan<byte> text, Dictionary<string, SlabinfoEntry>? previous = null)
    {
        var entries = new Dictionary<string, SlabinfoEntry>(previous?.Count ?? 256, StringComparer.Ordinal);
        Dictionary<string, SlabinfoEntry>.AlternateLookup<ReadOnlySpan<char>> known = default;
        var reuse = previous is not null && previous.TryGetAlternateLookup(out known);
        Span<char> name = stackalloc char[MaxCacheName];
        foreach (var range in text.Split((byte)'\n'))
        {
            var line = text[range];
            if (line.IsEmpty || line[0] == (byte)'#' || line.StartsWith("slabinfo"u8))
            {
                continue;
            }

            var fields = line.SplitAny(" \t"u8);
            if (!NextField(line, ref fields, out var nameBytes) || nameBytes.Length > MaxCacheName
                || !NextNumber(line, ref fields, out var active) || !NextField(line, ref fields, out _) || !NextNumber(line, ref fields, out var size))
            {
                continue;
            }

            // cache names are ASCII (kmem_cache_create callers name them in C)
            var chars = name[..Encoding.ASCII.GetChars(nameBytes, name)];
            if (reuse && known.TryGetValue(chars, out var cacheName, out var before))
            {
                entries[cacheName] = before.ActiveObjects == active && before.ObjectSize == size ? before : new SlabinfoEntry(cacheName, active, size);
                continue;
            }

            var fresh = new string(chars);
            entries[fresh] = new SlabinfoEntry(fresh, active, size);
        }

        return entries;
    }

    /// <summary>The <c>SUnreclaim:</c> line of /proc/meminfo in kB; null when absent.</summary>
    public static long? ParseSUnreclaimKb(ReadOnlySpan<byte> meminfo)
    {
        foreach (var range in meminfo.Split((byte)'\n'))
        {
            var line = meminfo[range];
            if (!line.StartsWith("SUnreclaim:"u8))
            {
                continue;
            }

            var value = line[SUnreclaim.Length..].TrimStart(" \t"u8);
            return Utf8Parser.TryParse(value, out long kb, out var used) && used > 0 ? kb : null;
        }

        return null;
    }

    /// <summary>The next non-empty field of <paramref name="line"/> (runs of blanks separate fields).</summary>
    private static bool NextField(ReadOnlySpan<byte> line, ref MemoryExtensions.SpanSplitEnumerator<byte> fields, out ReadOnlySpan<byte> field)
    {
        while (fields.MoveNext())
        {
            field = line[fields.Current];
            if (!field.IsEmpty)
            {
                return true;
            }
        }

        field = default;
        return false;
    }

    private static bool NextNumber(ReadOnlySpan<byte> line, ref MemoryExtensions.SpanSplitEnumerator<byte> fields, out long value)
    {
        value = 0;
        return NextField(line, ref fields, out var field) && Utf8Parser.TryParse(field, out value, out var used) && used == field.Length && value >= 0;
    }
}
