using System.Diagnostics;

namespace Tracer.Analysis.Recording;

/// <summary>What a recording says about where and when it was made.</summary>
/// <param name="KernelRelease">uname -r of the traced machine.</param>
/// <param name="CreatedUtc">Wall-clock time the recording was started.</param>
/// <param name="MonotonicToWallOffsetNs">Unix-epoch nanoseconds minus CLOCK_MONOTONIC nanoseconds at creation: wall = ts_ns + offset.</param>
public sealed record RecordingHeader(string KernelRelease, DateTimeOffset CreatedUtc, long MonotonicToWallOffsetNs)
{
    /// <summary>The format version the file was written in.</summary>
    public int FormatVersion { get; init; } = RecordingFormat.Version;

    /// <summary>The traced machine's host name; null when the recording does not say.</summary>
    public string? Host { get; init; }

    /// <summary>The version of tracer that recorded; null when the recording does not say.</summary>
    public string? TracerVersion { get; init; }

    /// <summary>The filters the trace ran with, as given on the command line ("" for none); null when the recording does not say.</summary>
    public string? Filters { get; init; }

    /// <summary>Host, tracer version and filters, in the order the header holds them after the kernel release.</summary>
    internal string?[] Described => [Host, TracerVersion, Filters];

    /// <summary>
    /// A header for a recording made now on this machine. <see cref="Stopwatch"/>
    /// reads CLOCK_MONOTONIC on Linux, the clock of the kernel's bpf_ktime_get_ns().
    /// </summary>
    public static RecordingHeader Capture(string kernelRelease)
    {
        var monotonicNs = (long)((Int128)Stopwatch.GetTimestamp() * 1_000_000_000 / Stopwatch.Frequency);
        var now = DateTimeOffset.UtcNow;
        return new(kernelRelease, now, UnixNanoseconds(now) - monotonicNs);
    }

    /// <summary>Turns a sample's CLOCK_MONOTONIC timestamp into wall-clock time.</summary>
    public DateTimeOffset ToWallClock(ulong monotonicNs) =>
        DateTimeOffset.UnixEpoch.AddTicks(((long)monotonicNs + MonotonicToWallOffsetNs) / TimeSpan.NanosecondsPerTick);

    internal static long UnixNanoseconds(DateTimeOffset time) =>
        (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * TimeSpan.NanosecondsPerTick;
}
