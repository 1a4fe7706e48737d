using System.Diagnostics;
using System.Diagnostics.Metrics;
using Tracer.Analysis.Slab;

namespace Tracer.Telemetry;

/// <summary>
/// The one place Tracer's telemetry is defined: its <see cref="ActivitySource"/>, its
/// <see cref="Meter"/> and every instrument, created once. Observable instruments read
/// the latest <see cref="TelemetryGauges"/> published by the live loop.
/// </summary>
public static class TracerTelemetry
{
    public const string SourceName = "Tracer";
    public const string MeterName = "Tracer";
    public const string FindingsCategory = "Tracer.Findings";
    public const string DefaultServiceName = "tracer";

    public const string ZeroWindowSpan = "tcp.zero_window";
    public const string SlabLeakSuspectSpan = "slab.leak_suspect";
    public const string ListenerSpan = "tcp.listener";
    public const string WindowUpdateIgnoredEvent = "tcp.window_update_ignored";
    public const string StuckEvent = "tcp.stuck";
    public const string Wl1LagEvent = "tcp.wl1_lag";

    public const string Wl1LagMetric = "tracer.tcp.wl1_lag";
    public const string Wl1LagMaxMetric = "tracer.tcp.max_wl1_lag";
    public const string ZeroWindowEpisodesMetric = "tracer.tcp.zero_window.episodes";
    public const string ZeroWindowDurationMetric = "tracer.tcp.zero_window.duration";
    public const string ActiveStallsMetric = "tracer.tcp.zero_window.active";
    public const string ConnectionsMetric = "tracer.tcp.connection.count";
    public const string SlabObjectsMetric = "tracer.slab.object.count";
    public const string SlabBytesMetric = "tracer.slab.memory.usage";
    public const string SlabGrowthRateMetric = "tracer.slab.object.growth";
    public const string SlabGrowthBytesRateMetric = "tracer.slab.memory.growth";
    public const string SUnreclaimMetric = "system.memory.linux.slab.usage";
    public const string EventsMetric = "tracer.event.count";
    public const string EventsDroppedMetric = "tracer.event.dropped";
    public const string EventsSuppressedMetric = "tracer.event.suppressed";
    public const string DetailLevelMetric = "tracer.overhead.detail_level";
    public const string SlabAttributionMetric = "tracer.overhead.slab_attribution";
    public const string FindingsMetric = "tracer.findings";
    public const string ResetsMetric = "tracer.tcp.resets";
    public const string ExportLostMetric = "tracer.telemetry.lost";

    private static readonly string Version = typeof(TracerTelemetry).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private static readonly double[] LagBucketsBytes =
        [64 << 20, 256 << 20, 512 << 20, 1L << 30, 3L << 29, 2L << 30, 3L << 30, 4L << 30];

    private static readonly double[] StallBucketsSeconds =
        [0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600];

    private static TelemetryGauges gauges = TelemetryGauges.Empty;

    public static ActivitySource Source { get; } = new(SourceName, Version);

    public static Meter Meter { get; } = new(MeterName, Version);

    /// <summary>snd_wl1 lag of each connection that received data since the previous housekeeping tick.</summary>
    public static Histogram<long> Wl1Lag { get; } = Meter.CreateHistogram(
        Wl1LagMetric, "By", "Bytes received since snd_wl1 last moved, per active connection and tick; window updates are ignored from 2 GiB",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = LagBucketsBytes.Select(b => (long)b).ToArray() });

    public static Counter<long> ZeroWindowEpisodes { get; } = Meter.CreateCounter<long>(
        ZeroWindowEpisodesMetric, "{episode}", "Zero-window episodes that lasted past the report threshold");

    public static Histogram<double> ZeroWindowDuration { get; } = Meter.CreateHistogram(
        ZeroWindowDurationMetric, "s", "How long send windows stayed at 0 while data waited",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StallBucketsSeconds });

    public static Counter<long> Findings { get; } = Meter.CreateCounter<long>(
        FindingsMetric, "{finding}", "Findings made, by kind and severity");

    /// <summary>
    /// RSTs this host sent, by reason and local port. Those a listener's close explains count under
    /// <c>listener_close</c> (its queued connections) and <c>listener_close_syn_queue</c> (its SYN-queue
    /// handshakes another listener answered), whatever the kernel's reason: the ghost-listener panel.
    /// </summary>
    public static Counter<long> Resets { get; } = Meter.CreateCounter<long>(
        ResetsMetric, "{reset}", "RSTs sent, by reason and local port");

    public static Counter<long> ExportLost { get; } = Meter.CreateCounter<long>(
        ExportLostMetric, "{item}", "Spans, metric points or log records the exporter could not deliver");

    public static ObservableGauge<long> Wl1LagMax { get; } = Meter.CreateObservableGauge(
        Wl1LagMaxMetric, () => gauges.Wl1LagMaxBytes, "By", "The largest snd_wl1 lag among tracked connections");

    public static ObservableUpDownCounter<long> ActiveStalls { get; } = Meter.CreateObservableUpDownCounter(
        ActiveStallsMetric, ObserveStalls, "{connection}", "Connections in a zero-window episode now, by whether the episode is stuck");

    public static ObservableUpDownCounter<long> Connections { get; } = Meter.CreateObservableUpDownCounter(
        ConnectionsMetric, () => gauges.Connections, "{connection}", "TCP connections tracked");

    public static ObservableCounter<long> Events { get; } = Meter.CreateObservableCounter(
        EventsMetric, () => gauges.EventsSeen, "{event}", "Kernel events (samples) read");

    public static ObservableCounter<long> EventsDropped { get; } = Meter.CreateObservableCounter(
        EventsDroppedMetric, ObserveDropsPerCpu, "{event}", "Kernel events dropped because the buffer was full, per CPU");

    public static ObservableCounter<long> EventsSuppressed { get; } = Meter.CreateObservableCounter(
        EventsSuppressedMetric, () => gauges.EventsSuppressed, "{event}", "Kernel events counted instead of sent while overhead control held detail down");

    public static ObservableGauge<int> DetailLevel { get; } = Meter.CreateObservableGauge(
        DetailLevelMetric, () => gauges.DetailLevel, "1", "Overhead control: 0 every change is sent, 1 only what verdicts rest on");

    public static ObservableGauge<int> SlabAttribution { get; } = Meter.CreateObservableGauge(
        SlabAttributionMetric, ObserveSlabAttribution, "1",
        "Overhead control of slab tracking: 0 caches watched in /proc/slabinfo, 1 every allocation and free counted and sampled");

    public static ObservableUpDownCounter<long> SlabObjects { get; } = Meter.CreateObservableUpDownCounter(
        SlabObjectsMetric, () => PerCache<long>(c => c.Objects), "{object}", "Active objects per slab cache");

    public static ObservableUpDownCounter<long> SlabBytes { get; } = Meter.CreateObservableUpDownCounter(
        SlabBytesMetric, () => PerCache<long>(c => c.Bytes), "By", "Bytes of active objects per slab cache");

    public static ObservableGauge<double> SlabGrowthRate { get; } = Meter.CreateObservableGauge(
        SlabGrowthRateMetric, () => PerCache<double>(c => c.ObjectsPerSecond), "{object}/s", "Net objects per second per slab cache, latest interval");

    public static ObservableGauge<double> SlabGrowthBytesRate { get; } = Meter.CreateObservableGauge(
        SlabGrowthBytesRateMetric, () => PerCache<double>(c => c.BytesPerSecond), "By/s", "Net bytes per second per slab cache, latest interval");

    /// <summary>The host's unreclaimable slab memory (SUnreclaim in /proc/meminfo, read when collected), under the semantic conventions' name.</summary>
    public static ObservableUpDownCounter<long> SUnreclaim { get; } = Meter.CreateObservableUpDownCounter(
        SUnreclaimMetric, ObserveSUnreclaim, "By", "Unreclaimable slab memory of the host (SUnreclaim)");

    /// <summary>Makes <paramref name="latest"/> what the observable instruments report from now on.</summary>
    public static void Publish(TelemetryGauges latest) => Volatile.Write(ref gauges, latest);

    internal static TelemetryGauges Current => Volatile.Read(ref gauges);

    private static IEnumerable<Measurement<long>> ObserveDropsPerCpu()
    {
        var perCpu = Current.EventsDroppedPerCpu;
        for (var cpu = 0; cpu < perCpu.Count; cpu++)
        {
            yield return new Measurement<long>(perCpu[cpu], new KeyValuePair<string, object?>(TelemetryAttributes.CpuLogicalNumber, (long)cpu));
        }
    }

    private static IEnumerable<Measurement<int>> ObserveSlabAttribution()
    {
        if (Current.SlabAttribution is { } on)
        {
            yield return new Measurement<int>(on ? 1 : 0);
        }
    }

    private static IEnumerable<Measurement<long>> ObserveSUnreclaim()
    {
        long? kb;
        try
        {
            kb = ProcSlab.ParseSUnreclaimKb(File.ReadAllBytes("/proc/meminfo"));
        }
        catch (IOException)
        {
            kb = null;
        }

        if (kb is { } value)
        {
            yield return new Measurement<long>(value * 1024, new KeyValuePair<string, object?>(TelemetryAttributes.SystemMemoryLinuxSlabState, "unreclaimable"));
        }
    }

    private static IEnumerable<Measurement<long>> ObserveStalls()
    {
        var g = Current;
        yield return new Measurement<long>(g.ActiveStalls - g.StuckStalls, new KeyValuePair<string, object?>(TelemetryAttributes.TcpStuck, false));
        yield return new Measurement<long>(g.StuckStalls, new KeyValuePair<string, object?>(TelemetryAttributes.TcpStuck, true));
    }

    private static IEnumerable<Measurement<T>> PerCache<T>(Func<SlabCacheGauge, T?> value)
        where T : struct
    {
        foreach (var cache in Current.SlabCaches)
        {
            if (value(cache) is { } v)
            {
                yield return new Measurement<T>(v, new KeyValuePair<string, object?>(TelemetryAttributes.SlabCache, cache.Cache));
            }
        }
    }
}

/// <summary>What the observable instruments report: totals and the state of the latest housekeeping tick.</summary>
public sealed record TelemetryGauges(
    long Connections, long ActiveStalls, long StuckStalls, long Wl1LagMaxBytes, long EventsSeen, IReadOnlyList<long> EventsDroppedPerCpu,
    long EventsSuppressed, int DetailLevel, IReadOnlyList<SlabCacheGauge> SlabCaches, bool? SlabAttribution)
{
    public static TelemetryGauges Empty { get; } = new(0, 0, 0, 0, 0, [], 0, 0, [], null);
}

/// <summary>Slab tracking after the latest interval: its caches, and whether the per-object hooks are attached.</summary>

/// <summary>One slab cache's size and growth after the latest interval; sizes are null when unknown.</summary>
public sealed record SlabCacheGauge(string Cache, long? Objects, long? Bytes, double ObjectsPerSecond, double BytesPerSecond);
