using System.Globalization;
using System.IO.Compression;

namespace Tracer.Bpf.Snapshot;

/// <summary>
/// The kernel's tick rate (CONFIG_HZ), which turns the jiffies the tcp iterator
/// reports into time. Read from the kernel's own config, /proc/config.gz or
/// /boot/config-RELEASE; without either, inferred from how far jiffies are from
/// their boot value (INITIAL_JIFFIES, 300 s before the 32-bit wrap) at a known uptime.
/// </summary>
public static class KernelHz
{
    private static readonly int[] CommonRates = [100, 250, 300, 1000];

    /// <summary>CONFIG_HZ from the kernel config; null when no config is readable.</summary>
    public static int? FromConfig(string release)
    {
        foreach (var (path, gzipped) in new[] { ("/proc/config.gz", true), ($"/boot/config-{release}", false) })
        {
            if (!File.Exists(path))
            {
                continue;
            }

            try
            {
                using var file = File.OpenRead(path);
                using var text = new StreamReader(gzipped ? new GZipStream(file, CompressionMode.Decompress) : file);
                while (text.ReadLine() is { } line)
                {
                    if (line.StartsWith("CONFIG_HZ=", StringComparison.Ordinal) &&
                        int.TryParse(line.AsSpan("CONFIG_HZ=".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var hz) && hz > 0)
                    {
                        return hz;
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                // try the next source
            }
        }

        return null;
    }

    /// <summary>
    /// The common rate that best explains <paramref name="jiffies"/> at
    /// <paramref name="monotonicNs"/> since boot: jiffies64 = 2^32 − 300·HZ + uptime·HZ on 64-bit.
    /// </summary>
    public static int Infer(ulong jiffies, ulong monotonicNs)
    {
        var uptime = monotonicNs / 1e9;
        return CommonRates.MinBy(hz => Math.Abs(jiffies - ((1UL << 32) - (300.0 * hz)) - (uptime * hz)));
    }

    public static int Find(ulong jiffies, ulong monotonicNs) => FromConfig(KernelSupport.KernelRelease) ?? Infer(jiffies, monotonicNs);
}
