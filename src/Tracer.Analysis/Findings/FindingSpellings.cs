using Tracer.Analysis.Overhead;
using Tracer.Analysis.Slab;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Findings;

/// <summary>How enum values of findings are spelled in every rendering (JSON, OpenTelemetry attributes).</summary>
public static class FindingSpellings
{
    public static string Spelling(this TrackingEnd end) => end switch
    {
        TrackingEnd.IdleEviction => "idle",
        TrackingEnd.CapacityEviction => "capacity",
        _ => "end_of_trace",
    };

    public static string Spelling(this ZeroWindowTrigger trigger) => trigger == ZeroWindowTrigger.WindowClosed ? "window_closed" : "data_queued";

    public static string Spelling(this IgnoreCause cause) => cause == IgnoreCause.Wl1Wrapped ? "wl1_wrapped" : "stale_segment";

    public static string Spelling(this DetailLevel level) => level == DetailLevel.Full ? "full" : "verdict";

    public static string Spelling(this NetSource source) => source == NetSource.Kernel ? "kernel" : "slabinfo";

    public static string Spelling(this Severity severity) => severity switch
    {
        Severity.Critical => "critical",
        Severity.Warning => "warning",
        _ => "info",
    };
}
