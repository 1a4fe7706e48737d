using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Tracer.Analysis;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Overhead;
using Tracer.Analysis.Slab;
using Tracer.Analysis.Tcp;
using static Tracer.Telemetry.TelemetryAttributes;

namespace Tracer.Telemetry;

/// <summary>
/// Findings → OpenTelemetry. A <c>tcp.zero_window</c> span runs from the episode's
/// first zero window to its end (kernel timestamps, converted by <paramref name="wallClock"/>),
/// with events for ignored window updates and the stuck verdict; a <c>slab.leak_suspect</c>
/// span covers the growth streak. Every finding is also counted and logged to
/// <paramref name="findingLog"/>, inside its episode's trace when it has one. Owners' executable
/// names come from <paramref name="executables"/> (/proc by default). Called on the analyzer's thread.
/// </summary>
public sealed class TelemetrySink(ILogger findingLog, Func<ulong, DateTime> wallClock, ExecutableNames? executables = null) : IFindingSink, ISlabFindingSink
{
    private readonly Dictionary<ulong, Activity> episodes = [];
    private readonly ExecutableNames executableNames = executables ?? ExecutableNames.Proc;
    private ulong lastTickNs;

    /// <summary>Zero-window spans started and not yet ended.</summary>
    public int OpenEpisodes => episodes.Count;

    public void Emit(Finding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        episodes.TryGetValue(finding.Cookie, out var episode);
        switch (finding)
        {
            case ZeroWindowStartFinding start:
                if (episode is not null)
                {
                    Stop(episode, start.ZeroSinceNs);
                }

                episode = Begin(start, start.ZeroSinceNs);
                episode?.SetTag(TcpTrigger, start.Trigger == ZeroWindowTrigger.WindowClosed ? "window_closed" : "data_queued")
                    .SetTag(TcpDurationIsLowerBound, start.DurationIsLowerBound)
                    .SetTag(TcpSndUna, (long)start.SndUna)
                    .SetTag(TcpSndNxt, (long)start.SndNxt)
                    .SetTag(TcpUnsentBytes, (long)start.Unsent);
                TracerTelemetry.ZeroWindowEpisodes.Add(1, new KeyValuePair<string, object?>(NetworkType, NetworkTypeOf(start.Endpoints)));
                break;
            case WindowUpdateIgnoredFinding ignored:
                episode?.AddEvent(new ActivityEvent(TracerTelemetry.WindowUpdateIgnoredEvent, Wall(ignored.TimestampNs), new ActivityTagsCollection
                {
                    [TcpSegSeq] = (long)ignored.SegSeq,
                    [TcpSndWl1] = (long)ignored.SndWl1,
                    [TcpSegAck] = (long)ignored.SegAck,
                    [TcpSndUna] = (long)ignored.SndUna,
                    [TcpNwin] = Int(ignored.Nwin),
                    [TcpSndWnd] = (long)ignored.SndWnd,
                    [TcpWl1LagBytes] = Int(ignored.Wl1LagBytes),
                    [TcpWrapDistance] = (long)ignored.WrapDistance,
                    [TcpIgnoreCause] = FindingJson.CauseName(ignored.Cause),
                }));
                break;
            case StuckFinding stuck:
                episode ??= Begin(stuck, stuck.ZeroSinceNs);
                episode?.AddEvent(new ActivityEvent(TracerTelemetry.StuckEvent, Wall(stuck.TimestampNs), new ActivityTagsCollection
                {
                    [TcpSegSeq] = (long)stuck.SegSeq,
                    [TcpSndWl1] = (long)stuck.SndWl1,
                    [TcpNwin] = Int(stuck.Nwin),
                    [TcpSegWin] = (long)stuck.SegWin,
                    [TcpSndWscale] = (long)stuck.SndWscale,
                    [TcpWl1LagBytes] = Int(stuck.Wl1LagBytes),
                    [TcpWrapDistance] = (long)stuck.WrapDistance,
                    [TcpIgnoreCause] = FindingJson.CauseName(stuck.Cause),
                }));
                episode?.SetTag(TcpStuck, true).SetStatus(ActivityStatusCode.Error, stuck.Message);
                break;
            case Wl1LagFinding lag:
                episode?.AddEvent(new ActivityEvent(TracerTelemetry.Wl1LagEvent, Wall(lag.TimestampNs), new ActivityTagsCollection
                {
                    [TcpWl1LagBytes] = Int(lag.Wl1LagBytes),
                    [TcpWl1LagThresholdBytes] = Int(lag.ThresholdBytes),
                    [TcpSndWl1] = (long)lag.SndWl1,
                }));
                break;
            case ZeroWindowEndFinding end:
                episode ??= Begin(end, end.Episode.ZeroSinceNs);
                SetEpisode(episode, end.Episode)?.SetTag(TcpNewWindow, Int(end.NewWindow));
                RecordDuration(end.Endpoints, end.Episode, stuck: episode?.Status == ActivityStatusCode.Error);
                break;
            case ZeroWindowOpenFinding open:
                episode ??= Begin(open, open.Episode.ZeroSinceNs);
                SetEpisode(episode, open.Episode)?.SetTag(TcpStuck, open.Stuck).SetTag(TcpTrackingEnd, open.End switch
                {
                    TrackingEnd.IdleEviction => "idle",
                    TrackingEnd.CapacityEviction => "capacity",
                    _ => "end_of_trace",
                });
                if (open.Stuck && episode?.Status != ActivityStatusCode.Error)
                {
                    episode?.SetStatus(ActivityStatusCode.Error, open.Message);
                }

                RecordDuration(open.Endpoints, open.Episode, open.Stuck);
                break;
        }

        TracerTelemetry.Findings.Add(1, new(FindingKind, finding.Kind), new(FindingSeverity, FindingJson.SeverityName(finding.Severity)));
        var attributes = finding is OverheadStepFinding step
            ? [new(OverheadDetailLevel, FindingJson.LevelName(step.To)), new(OverheadSamplesPerSecond, step.SamplesPerSecond)]
            : ConnectionAttributes(finding);
        attributes.InsertRange(0, [new(FindingKind, finding.Kind), new(FindingSeverity, FindingJson.SeverityName(finding.Severity))]);
        Log(finding.Severity, finding.Message, finding.Kind, attributes, episode);

        if (episode is not null && finding is ZeroWindowEndFinding or ZeroWindowOpenFinding)
        {
            var summary = finding is ZeroWindowEndFinding e ? e.Episode : ((ZeroWindowOpenFinding)finding).Episode;
            Stop(episode, summary.ZeroSinceNs + summary.DurationNs);
            episodes.Remove(finding.Cookie);
        }
    }

    public void Emit(SlabFinding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        var attributes = new List<KeyValuePair<string, object?>> { new(FindingKind, finding.Kind), new(FindingSeverity, FindingJson.SeverityName(finding.Severity)) };
        Activity? span = null;
        switch (finding)
        {
            case SlabLeakSuspectFinding leak:
                attributes.Add(new(SlabCache, leak.Cache));
                span = LeakSpan(leak);
                break;
        }

        TracerTelemetry.Findings.Add(1, new(FindingKind, finding.Kind), new(FindingSeverity, FindingJson.SeverityName(finding.Severity)));
        if (finding is not SlabGrowthFinding)
        {
            // growth is reported for the top caches every interval: the growth-rate gauges carry it
            Log(finding.Severity, finding.Message, finding.Kind, attributes, span);
        }
        if (span is not null)
        {
            Stop(span, finding.TimestampNs);
        }
    }

    /// <summary>
    /// Once per housekeeping tick: the wl1 lag of every connection that received data since
    /// the previous tick goes into the histogram, and the gauges take the current state.
    /// </summary>
    public void Tick(IEnumerable<ConnectionView> connections, ulong nowNs, LoadState load, SlabTelemetry? slab = null)
    {
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(load);
        long count = 0, stalls = 0, stuck = 0, maxLag = 0;
        foreach (var c in connections)
        {
            count++;
            if (c.State is WindowState.ZeroWindow or WindowState.Stuck)
            {
                stalls++;
                stuck += c.State == WindowState.Stuck ? 1 : 0;
            }

            var lag = Int(c.Wl1LagBytes);
            maxLag = Math.Max(maxLag, lag);
            if (c.LastSeenNs > lastTickNs)
            {
                TracerTelemetry.Wl1Lag.Record(lag, new KeyValuePair<string, object?>(NetworkType, NetworkTypeOf(c.Endpoints)));
            }
        }

        lastTickNs = nowNs;
        TracerTelemetry.Publish(new TelemetryGauges(count, stalls, stuck, maxLag, Int(load.Samples), load.DroppedPerCpu.Select(Int).ToArray(),
            Int(load.Suppressed), (int)load.Level, slab?.Caches ?? [], slab?.PerObject));
    }

    private Activity? Begin(Finding finding, ulong zeroSinceNs)
    {
        var episode = Detached(() => TracerTelemetry.Source.StartActivity(
            TracerTelemetry.ZeroWindowSpan, ActivityKind.Internal, parentContext: default, ConnectionAttributes(finding), startTime: Wall(zeroSinceNs)));
        if (episode is not null)
        {
            episodes[finding.Cookie] = episode;
        }

        return episode;
    }

    private Activity? LeakSpan(SlabLeakSuspectFinding leak)
    {
        var tags = new List<KeyValuePair<string, object?>>
        {
            new(SlabCache, leak.Cache),
            new(SlabGrowthObjects, leak.GrowthObjects),
            new(SlabGrowthBytes, leak.GrowthBytes),
            new(SlabObjectsPerSecond, leak.ObjectsPerSecond),
            new(SlabBytesPerSecond, leak.BytesPerSecond),
            new(SlabMeanOutstandingAgeSeconds, leak.MeanOutstandingAgeNs / 1e9),
            new(SlabTopStacks, leak.TopStacks.Select(s => s.Path).ToArray()),
            new(SlabTopStackObjects, leak.TopStacks.Select(s => s.Objects).ToArray()),
            new(SlabTopStackComms, leak.TopStacks.Select(s => string.Join(",", s.Comms.Select(c => c.Comm))).ToArray()),
        };
        if (leak.SUnreclaimDeltaKb is { } kb)
        {
            tags.Add(new(SlabSUnreclaimDelta, kb * 1024));
        }

        var start = leak.TimestampNs - Math.Min(leak.TimestampNs, leak.StreakNs);
        return Detached(() => TracerTelemetry.Source.StartActivity(
            TracerTelemetry.SlabLeakSuspectSpan, ActivityKind.Internal, parentContext: default, tags, startTime: Wall(start)));
    }

    private void Stop(Activity activity, ulong endNs)
    {
        var end = Wall(endNs);
        activity.SetEndTime(end < activity.StartTimeUtc ? activity.StartTimeUtc : end);
        Detached(() =>
        {
            activity.Stop();
            return activity;
        });
    }

    private void Log(Severity severity, string message, string kind, List<KeyValuePair<string, object?>> attributes, Activity? context)
    {
        var level = severity switch
        {
            Severity.Critical => LogLevel.Error,
            Severity.Warning => LogLevel.Warning,
            _ => LogLevel.Information,
        };
        if (!findingLog.IsEnabled(level))
        {
            return;
        }

        Detached(() =>
        {
            Activity.Current = context;
            findingLog.Log(level, new EventId(0, kind), attributes, null, (_, _) => message);
            return context;
        });
    }

    private DateTime Wall(ulong monotonicNs) => DateTime.SpecifyKind(wallClock(monotonicNs), DateTimeKind.Utc);

    private static Activity? SetEpisode(Activity? activity, in EpisodeSummary e) =>
        activity?.SetTag(TcpDurationIsLowerBound, e.DurationIsLowerBound)
            .SetTag(TcpProbesOutMax, (long)e.MaxProbesOut)
            .SetTag(TcpBackoffMax, (long)e.MaxBackoff)
            .SetTag(TcpAdvertisedWindows, e.AdvertisedWindows.Select(Int).ToArray())
            .SetTag(TcpAdvertisedWindowMax, Int(e.MaxAdvertisedWindow))
            .SetTag(TcpIgnoredUpdates, (long)e.IgnoredUpdates);

    private static void RecordDuration(Endpoints endpoints, in EpisodeSummary e, bool stuck) =>
        TracerTelemetry.ZeroWindowDuration.Record(e.DurationNs / 1e9, new(NetworkType, NetworkTypeOf(endpoints)), new(TcpStuck, stuck));

    /// <summary>The connection's attributes: transport, addresses and ports, and the owning process when known.</summary>
    private List<KeyValuePair<string, object?>> ConnectionAttributes(Finding f)
    {
        var attributes = new List<KeyValuePair<string, object?>>(12)
        {
            new(NetworkTransport, "tcp"),
            new(NetworkType, NetworkTypeOf(f.Endpoints)),
            new(NetworkLocalAddress, f.Endpoints.Local.ToString()),
            new(NetworkLocalPort, (long)f.Endpoints.LocalPort),
            new(NetworkPeerAddress, f.Endpoints.Peer.ToString()),
            new(NetworkPeerPort, (long)f.Endpoints.PeerPort),
            new(TcpCookie, Int(f.Cookie)),
        };
        if (f.Pid > 0)
        {
            attributes.Add(new(ProcessPid, (long)f.Pid));
            if (executableNames.Of(f.Pid, f.Comm) is { } executable)
            {
                attributes.Add(new(ProcessExecutableName, executable));
            }

            attributes.Add(new(ProcessCommand, f.Comm));
        }

        if (f.PossiblyIncomplete)
        {
            attributes.Add(new(FindingLostSamples, Int(f.LostSamples)));
        }

        return attributes;
    }

    private static string NetworkTypeOf(Endpoints endpoints) => endpoints.Family == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4";

    /// <summary>OTLP integers are signed 64-bit; kernel counters and cookies are below 2^63 in practice.</summary>
    private static long Int(ulong value) => (long)Math.Min(value, long.MaxValue);

    /// <summary>Runs <paramref name="action"/> without it changing the thread's current activity: every span here is a root.</summary>
    private static Activity? Detached(Func<Activity?> action)
    {
        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            return action();
        }
        finally
        {
            Activity.Current = previous;
        }
    }
}
