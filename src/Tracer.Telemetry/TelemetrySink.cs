using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Tracer.Analysis;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Resets;
using Tracer.Analysis.Slab;
using Tracer.Analysis.Tcp;
using static Tracer.Telemetry.TelemetryAttributes;
using Kinds = Tracer.Analysis.Findings.FindingKind;

namespace Tracer.Telemetry;

/// <summary>
/// Findings → OpenTelemetry. A <c>tcp.zero_window</c> span runs from the episode's
/// first zero window to its end (kernel timestamps, converted by <paramref name="wallClock"/>),
/// with events for ignored window updates, wl1 lag steps and the stuck verdict; a
/// <c>slab.leak_suspect</c> span covers the growth streak. Every finding is also counted and
/// logged to <paramref name="findingLog"/> with its declared fields as attributes, inside its
/// episode's trace when it has one. Owners' executable names come from <paramref name="executables"/>
/// (/proc by default). Called on the engine's thread.
/// </summary>
public sealed class TelemetrySink(ILogger findingLog, Func<ulong, DateTime> wallClock, ExecutableNames? executables = null) : IFindingSink
{
    private readonly Dictionary<ulong, Activity> episodes = [];
    private readonly ExecutableNames executableNames = executables ?? ExecutableNames.Proc;
    private ulong lastTickNs;
    private (SlabInterval? Interval, IReadOnlyList<SlabCacheGauge> Gauges) slabGauges = (null, []);

    /// <summary>Zero-window spans started and not yet ended.</summary>
    public int OpenEpisodes => episodes.Count;

    public void Emit(Finding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        var connection = finding as ConnectionFinding;
        Activity? context = null;
        if (connection is not null)
        {
            episodes.TryGetValue(connection.Cookie, out context);
        }

        switch (finding)
        {
            case ZeroWindowStartFinding start:
                if (context is not null)
                {
                    Stop(context, start.ZeroSinceNs);
                }

                context = Begin(start, start.ZeroSinceNs, OtlpFields.Of(start, executableNames));
                TracerTelemetry.ZeroWindowEpisodes.Add(1, MetricAttributes(start));
                break;
            case WindowUpdateIgnoredFinding or Wl1LagFinding:
                AddEvent(context, connection!);
                break;
            case StuckFinding stuck:
                context ??= Begin(stuck, stuck.ZeroSinceNs);
                AddEvent(context, stuck);
                context?.SetTag(TcpStuck, true).SetStatus(ActivityStatusCode.Error, stuck.Message);
                break;
            case ZeroWindowEndFinding end:
                context ??= Begin(end, end.Episode.ZeroSinceNs);
                SetTags(context, end);
                RecordDuration(end, end.Episode, stuck: context?.Status == ActivityStatusCode.Error);
                break;
            case ZeroWindowOpenFinding open:
                context ??= Begin(open, open.Episode.ZeroSinceNs);
                SetTags(context, open);
                if (open.Stuck && context?.Status != ActivityStatusCode.Error)
                {
                    context?.SetStatus(ActivityStatusCode.Error, open.Message);
                }

                RecordDuration(open, open.Episode, open.Stuck);
                break;
            case SlabLeakSuspectFinding leak:
                var streakStart = leak.TimestampNs - Math.Min(leak.TimestampNs, leak.StreakNs);
                context = Detached(() => TracerTelemetry.Source.StartActivity(
                    TracerTelemetry.SlabLeakSuspectSpan, ActivityKind.Internal, parentContext: default, OtlpFields.Of(leak, executableNames), startTime: Wall(streakStart)));
                break;
            case ListenerResetFinding listener:
                CountResets(listener.ResetConnections, "listener_close", listener.Listener.Port);
                CountResets(listener.SynQueueResets, "listener_close_syn_queue", listener.Listener.Port);
                // a span over the listener's life, from listen() (or its close, when older than the trace) to its close
                context = Detached(() => TracerTelemetry.Source.StartActivity(TracerTelemetry.ListenerSpan, ActivityKind.Internal, parentContext: default,
                    OtlpFields.Of(listener, executableNames), startTime: Wall(listener.TimestampNs - Math.Min(listener.TimestampNs, listener.LifetimeNs ?? 0))));
                context?.SetStatus(ActivityStatusCode.Error, listener.Message);
                break;
            case ResetsFinding resets:
                CountResets(resets.Count, resets.Reason.Name(), resets.Port);
                break;
        }

        var kind = new KeyValuePair<string, object?>(TelemetryAttributes.FindingKind, finding.Kind.Name);
        var severity = new KeyValuePair<string, object?>(FindingSeverity, finding.Severity.Spelling());
        TracerTelemetry.Findings.Add(1, kind, severity);
        // growth is reported for the top caches every interval: the growth-rate gauges carry it
        if (finding.Kind != Kinds.SlabGrowth)
        {
            Log(finding, OtlpFields.Of(finding, executableNames, kind, severity, new(TelemetryAttributes.FindingSubject, finding.Kind.SubjectName)), context);
        }

        switch (finding)
        {
            case ZeroWindowEndFinding end when context is not null:
                Stop(context, end.Episode.ZeroSinceNs + end.Episode.DurationNs);
                episodes.Remove(end.Cookie);
                break;
            case ZeroWindowOpenFinding open when context is not null:
                Stop(context, open.Episode.ZeroSinceNs + open.Episode.DurationNs);
                episodes.Remove(open.Cookie);
                break;
            case SlabLeakSuspectFinding or ListenerResetFinding when context is not null:
                Stop(context, finding.TimestampNs);
                break;
        }
    }

    /// <summary>
    /// Once per housekeeping tick: the wl1 lag of every connection that received data since
    /// the previous tick goes into the histogram, and the gauges take the current state.
    /// </summary>
    public void Tick(TraceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        long count = 0, stalls = 0, stuck = 0, maxLag = 0;
        foreach (var c in state.Tcp?.Connections ?? [])
        {
            count++;
            if (c.State is WindowState.ZeroWindow or WindowState.Stuck)
            {
                stalls++;
                stuck += c.State == WindowState.Stuck ? 1 : 0;
            }

            var lag = OtlpFields.Int(c.Wl1LagBytes);
            maxLag = Math.Max(maxLag, lag);
            if (c.LastSeenNs > lastTickNs)
            {
                TracerTelemetry.Wl1Lag.Record(lag, new KeyValuePair<string, object?>(NetworkType, OtlpFields.NetworkTypeOf(c.Endpoints)));
            }
        }

        lastTickNs = state.NowNs;
        var load = state.Load;
        var slab = state.Slab;
        // the slab gauges change only with a new slab interval, which can be several ticks apart
        if (slab is not null && !ReferenceEquals(slab.Latest, slabGauges.Interval))
        {
            slabGauges = (slab.Latest, SlabGauges.From(slab.Latest, slab.Analyzer));
        }

        TracerTelemetry.Publish(new TelemetryGauges(count, stalls, stuck, maxLag, OtlpFields.Int(load.Samples), load.DroppedPerCpu.Select(OtlpFields.Int).ToArray(),
            OtlpFields.Int(load.Suppressed), (int)load.Level, slab is null ? [] : slabGauges.Gauges, slab?.PerObject));
    }

    private static void CountResets(long count, string reason, ushort port)
    {
        if (count > 0)
        {
            TracerTelemetry.Resets.Add(count, new KeyValuePair<string, object?>(ResetReason, reason), new KeyValuePair<string, object?>(NetworkLocalPort, (int)port));
        }
    }

    private Activity? Begin(ConnectionFinding finding, ulong zeroSinceNs, List<KeyValuePair<string, object?>>? tags = null)
    {
        tags ??= OtlpFields.Of(new ConnectionIdentity(finding.Cookie, finding.Pid, finding.Comm, finding.Endpoints, finding.LostSamples), executableNames);
        var episode = Detached(() => TracerTelemetry.Source.StartActivity(
            TracerTelemetry.ZeroWindowSpan, ActivityKind.Internal, parentContext: default, tags, startTime: Wall(zeroSinceNs)));
        if (episode is not null)
        {
            episodes[finding.Cookie] = episode;
        }

        return episode;
    }

    /// <summary>The finding as an event of its episode's span, with the finding's own fields (the span has the connection's).</summary>
    private void AddEvent(Activity? episode, ConnectionFinding finding)
    {
        if (episode is null)
        {
            return;
        }

        var fields = new ActivityTagsCollection();
        foreach (var (key, value) in OtlpFields.Of(finding, executableNames).Where(a => !IsConnectionAttribute(a.Key)))
        {
            fields[key] = value;
        }

        episode.AddEvent(new ActivityEvent(finding.Kind.Name, Wall(finding.TimestampNs), fields));
    }

    /// <summary>The episode's summary onto its span.</summary>
    private void SetTags(Activity? episode, ConnectionFinding finding)
    {
        foreach (var (key, value) in OtlpFields.Of(finding, executableNames).Where(a => !IsConnectionAttribute(a.Key)))
        {
            episode?.SetTag(key, value);
        }
    }

    private static bool IsConnectionAttribute(string key) =>
        key.StartsWith("network.", StringComparison.Ordinal) || key.StartsWith("process.", StringComparison.Ordinal)
        || key is TcpCookie or FindingLostSamples;

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

    private void Log(Finding finding, List<KeyValuePair<string, object?>> attributes, Activity? context)
    {
        var level = finding.Severity switch
        {
            Severity.Critical => LogLevel.Error,
            Severity.Warning => LogLevel.Warning,
            _ => LogLevel.Information,
        };
        if (!findingLog.IsEnabled(level))
        {
            return;
        }

        var message = finding.Message;
        Detached(() =>
        {
            Activity.Current = context;
            findingLog.Log(level, new EventId(0, finding.Kind.Name), attributes, null, (_, _) => message);
            return context;
        });
    }

    private DateTime Wall(ulong monotonicNs) => DateTime.SpecifyKind(wallClock(monotonicNs), DateTimeKind.Utc);

    private static void RecordDuration(ConnectionFinding finding, in EpisodeSummary e, bool stuck)
    {
        var attributes = MetricAttributes(finding);
        attributes.Add(TcpStuck, stuck);
        TracerTelemetry.ZeroWindowDuration.Record(e.DurationNs / 1e9, attributes);
    }

    /// <summary>A connection's metric attributes: its network type, and its owner's container and pod when known.</summary>
    private static TagList MetricAttributes(ConnectionFinding finding)
    {
        var attributes = new TagList { { NetworkType, OtlpFields.NetworkTypeOf(finding.Endpoints) } };
        if (finding.Container.ContainerId is { } container)
        {
            attributes.Add(ContainerId, container);
        }

        if (finding.Container.PodUid is { } pod)
        {
            attributes.Add(K8sPodUid, pod);
        }

        return attributes;
    }

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
