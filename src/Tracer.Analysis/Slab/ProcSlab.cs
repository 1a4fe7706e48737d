using System.Globalization;

namespace Tracer.Analysis.Slab;

/// <summary>Parsers for the slab lines of /proc/slabinfo and /proc/meminfo (text in, records out).</summary>
public static class ProcSlab
{
    /// <summary>/proc/slabinfo version 2.x: <c>name active_objs num_objs objsize …</c> after two header lines.</summary>
    public static Dictionary<string, SlabinfoEntry> ParseSlabinfo(TextReader text)
    {
        var entries = new Dictionary<string, SlabinfoEntry>(StringComparer.Ordinal);
        while (text.ReadLine() is { } line)
        {
            if (line.StartsWith("slabinfo", StringComparison.Ordinal) || line.StartsWith('#'))
            {
                continue;
            }

            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4
                || !long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var active)
                || !long.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                continue;
            }

            entries[fields[0]] = new SlabinfoEntry(fields[0], active, size);
        }

        return entries;
    }

    /// <summary>The <c>SUnreclaim:</c> line of /proc/meminfo in kB; null when absent.</summary>
    public static long? ParseSUnreclaimKb(TextReader meminfo)
    {
        while (meminfo.ReadLine() is { } line)
        {
            if (line.StartsWith("SUnreclaim:", StringComparison.Ordinal))
            {
                var value = line["SUnreclaim:".Length..].Trim().Split(' ')[0];
                return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb : null;
            }
        }

        return null;
    }
}
