using System.Diagnostics;

namespace Tracer.Pipeline;

/// <summary>Kernel timestamps are CLOCK_MONOTONIC nanoseconds; this turns them into wall-clock time.</summary>
public static class Clock
{
    private static readonly long WallMinusMonotonicNs = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100 - MonotonicNowNs;

    /// <summary>CLOCK_MONOTONIC now, in nanoseconds (what bpf_ktime_get_ns() returns).</summary>
    public static ulong MonotonicNowNsUnsigned => (ulong)MonotonicNowNs;

    private static long MonotonicNowNs => (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));

    public static DateTime ToWallClock(ulong monotonicNs) =>
        DateTime.UnixEpoch.AddTicks(((long)monotonicNs + WallMinusMonotonicNs) / 100);
}
