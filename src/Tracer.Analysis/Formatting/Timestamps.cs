using System.Globalization;

namespace Tracer.Analysis.Formatting;

/// <summary>How times are written: RFC 3339 UTC in JSON, UTC clock times in text, offsets from the start in a replay.</summary>
public static class Timestamps
{
    /// <summary>The JSON field holding wall-clock time, next to <c>ts_ns</c>.</summary>
    public const string JsonField = "time";

    /// <summary>"2026-12-06T03:12:41.123Z".</summary>
    public static string Rfc3339(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>"03:12:41.123Z".</summary>
    public static string Clock(DateTime utc) => utc.ToString("HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>"+00:01:02.345": the time from <paramref name="startNs"/> to <paramref name="ns"/>, marked relative by its sign.</summary>
    public static string SinceStart(ulong ns, ulong startNs)
    {
        var t = TimeSpan.FromTicks((long)((ns > startNs ? ns - startNs : 0) / TimeSpan.NanosecondsPerTick));
        return string.Create(CultureInfo.InvariantCulture, $"+{(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}.{t.Milliseconds:000}");
    }
}
