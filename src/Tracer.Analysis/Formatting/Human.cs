using System.Globalization;

namespace Tracer.Analysis.Formatting;

/// <summary>Byte counts and durations the way findings and the live view print them.</summary>
public static class Human
{
    private static readonly string[] ByteUnits = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];

    /// <summary>Decimal units, three significant digits: 999 B, 1.77 MB, 3.84 GB.</summary>
    public static string Bytes(ulong bytes)
    {
        if (bytes < 1000)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
        }

        double value = bytes;
        var unit = 0;
        while (unit < ByteUnits.Length - 1 && Round(value) >= 1000)
        {
            value /= 1000;
            unit++;
        }

        var rounded = Round(value);
        var digits = rounded.ToString("F" + Decimals(rounded), CultureInfo.InvariantCulture);
        return $"{digits} {ByteUnits[unit]}";
    }

    /// <summary>Truncated, two units at most: 850ms, 42.3s, 2m05s, 4h31m, 3d04h.</summary>
    public static string Duration(TimeSpan duration) => Duration((ulong)Math.Max(0, duration.Ticks) * TimeSpan.NanosecondsPerTick);

    public static string Duration(ulong nanoseconds)
    {
        const ulong NsPerMs = 1_000_000;
        const ulong NsPerSecond = 1_000_000_000;
        var ms = nanoseconds / NsPerMs;
        var seconds = nanoseconds / NsPerSecond;
        var c = CultureInfo.InvariantCulture;
        return seconds switch
        {
            0 => string.Create(c, $"{ms}ms"),
            < 60 => string.Create(c, $"{seconds}.{ms % 1000 / 100}s"),
            < 3600 => string.Create(c, $"{seconds / 60}m{seconds % 60:D2}s"),
            < 86400 => string.Create(c, $"{seconds / 3600}h{seconds % 3600 / 60:D2}m"),
            _ => string.Create(c, $"{seconds / 86400}d{seconds % 86400 / 3600:D2}h"),
        };
    }

    private static double Round(double value) => Math.Round(value, Decimals(value), MidpointRounding.AwayFromZero);

    private static int Decimals(double value) => value switch
    {
        >= 100 => 0,
        >= 10 => 1,
        _ => 2,
    };
}
