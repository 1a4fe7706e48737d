using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Tracer.Analysis;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Resets;
using static Tracer.Telemetry.Tests.Findings;

namespace Tracer.Telemetry.Tests;

public sealed class TelemetrySinkTests : IDisposable
{
    private readonly List<Activity> spans = [];
    private readonly ActivityListener listener;
    private readonly RecordingLogger log = new();
    private readonly DirectoryInfo proc = Directory.CreateTempSubdirectory("tracer-proc-");

    public TelemetrySinkTests()
    {
        listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == TracerTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
    }

    [Fact]
    public void AnEpisodeIsOneSpanFromTheFirstZeroWindowToItsEnd()
    {
        // the owner's executable, whose name the kernel's task name (rsync) does not tell
        Directory.CreateDirectory(Path.Combine(proc.FullName, Pid.ToString()));
        File.CreateSymbolicLink(Path.Combine(proc.FullName, Pid.ToString(), "exe"), "/opt/rsync/bin/rsync.static");
        var sink = new TelemetrySink(log, Wall, new ExecutableNames(proc.FullName));
        sink.Emit(Start(zeroSince: 10, reported: 10.2));
        Assert.Equal(1, sink.OpenEpisodes);
        sink.Emit(End(zeroSince: 10, end: 12.5));

        var span = Assert.Single(spans);
        Assert.Equal(TracerTelemetry.ZeroWindowSpan, span.DisplayName);
        Assert.Equal(Wall(Ns(10)), span.StartTimeUtc);
        Assert.Equal(TimeSpan.FromSeconds(2.5), span.Duration);
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
        Assert.Equal(default, span.ParentSpanId);
        Assert.Equal("tcp", span.GetTagItem("network.transport"));
        Assert.Equal("ipv4", span.GetTagItem("network.type"));
        Assert.Equal("192.168.10.20", span.GetTagItem("network.local.address"));
        Assert.Equal(51034L, span.GetTagItem("network.local.port"));
        Assert.Equal("192.168.10.5", span.GetTagItem("network.peer.address"));
        Assert.Equal(873L, span.GetTagItem("network.peer.port"));
        Assert.Equal((long)Pid, span.GetTagItem("process.pid"));
        Assert.Equal("rsync.static", span.GetTagItem("process.executable.name"));
        Assert.Equal("rsync", span.GetTagItem("process.command"));
        Assert.Equal(95232L, span.GetTagItem("tracer.tcp.new_window"));
        Assert.Equal(0, sink.OpenEpisodes);
    }

    [Fact]
    public void ALeakSuspicionIsASpanCoveringTheGrowthWindowWithTheTopStacks()
    {
        var sink = new TelemetrySink(log, Wall);
        var stack = new Tracer.Analysis.Slab.StackShare(
            "__sys_socket → sock_alloc_inode", ["__sys_socket", "sock_alloc_inode"], 180_000, 180_000 * 624, [("hrrb", 120_000L), ("apache2", 60_000L)]);
        sink.Emit(new Tracer.Analysis.Slab.SlabLeakSuspectFinding(Ns(3600), "sock_inode_cache", Ns(3600), 180_000, 180_000 * 624, Ns(1800), 2_100_000, [stack]));

        var span = Assert.Single(spans);
        Assert.Equal(TracerTelemetry.SlabLeakSuspectSpan, span.DisplayName);
        Assert.Equal(Wall(0), span.StartTimeUtc);
        Assert.Equal(TimeSpan.FromHours(1), span.Duration);
        Assert.Equal("sock_inode_cache", span.GetTagItem(TelemetryAttributes.SlabCache));
        Assert.Equal(["__sys_socket → sock_alloc_inode"], (string[])span.GetTagItem(Fields.TopStacks.Attribute)!);
        Assert.Contains(log.Records, r => r.Message.Contains("sock_inode_cache", StringComparison.Ordinal));
    }

    [Fact]
    public void AListenerResetIsAnErrorSpanOverTheListenersLifeAndCountsItsResetsOnItsPort()
    {
        const ushort Port = 18080; // no other test counts resets on it: the meter is shared
        var server = new ListenerInfo(1, System.Net.Sockets.AddressFamily.InterNetworkV6, Port, 100, "nginx", "nginx: master process", null, 7);
        var ghost = new ListenerInfo(2, System.Net.Sockets.AddressFamily.InterNetworkV6, Port, 4242, "nginx", "nginx -t", Ns(8.8), 7);
        var counted = new List<(long Value, string Reason)>();
        using var meter = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == TracerTelemetry.ResetsMetric)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        meter.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var t = tags.ToArray().ToDictionary(kv => kv.Key, kv => kv.Value);
            if (Equals(t[TelemetryAttributes.NetworkLocalPort], (int)Port))
            {
                counted.Add((value, (string)t[TelemetryAttributes.ResetReason]!));
            }
        });
        meter.Start();
        var sink = new TelemetrySink(log, Wall);

        sink.Emit(new ListenerResetFinding(Ns(10), ghost, 4242, "nginx", 3, 1, 3, 1, Ns(1.2), 0, [server], true, [server]));
        sink.Emit(new ResetsFinding(Ns(20), Port, RstReason.NoSocket, 5, Ns(10), Endpoints.FromAddresses(System.Net.IPAddress.IPv6Any, Port, System.Net.IPAddress.IPv6Any, 0)));

        var span = Assert.Single(spans);
        Assert.Equal(TracerTelemetry.ListenerSpan, span.DisplayName);
        Assert.Equal(Wall(Ns(8.8)), span.StartTimeUtc);
        Assert.Equal(TimeSpan.FromSeconds(1.2), span.Duration);
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal(4242L, span.GetTagItem(Fields.ListenerPid.Attribute));
        Assert.Equal(true, span.GetTagItem(Fields.Ghost.Attribute));
        Assert.Equal([(3L, "listener_close"), (1L, "listener_close_syn_queue"), (5L, "no_socket")], counted);
        Assert.Contains(log.Records, r => r.Message.StartsWith("RST × 4 on [::]:18080", StringComparison.Ordinal));
    }

    [Fact]
    public void IgnoredUpdatesAndTheStuckVerdictAreEventsAndTheSpanIsAnError()
    {
        var sink = new TelemetrySink(log, Wall);
        sink.Emit(Start(zeroSince: 100, reported: 100.2));
        sink.Emit(Ignored(at: 220));
        sink.Emit(Stuck(zeroSince: 100, at: 220));
        sink.Emit(Ignored(at: 340));
        sink.Emit(Open(zeroSince: 100, end: 400, stuck: true));

        var span = Assert.Single(spans);
        Assert.Equal(TimeSpan.FromSeconds(300), span.Duration);
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Contains("ignored because snd_wl1 lags", span.StatusDescription);
        Assert.Equal(true, span.GetTagItem("tracer.tcp.stuck"));
        Assert.Equal("end_of_trace", span.GetTagItem("tracer.tcp.tracking_end"));
        Assert.Equal(
            [(TracerTelemetry.WindowUpdateIgnoredEvent, Wall(Ns(220))), (TracerTelemetry.StuckEvent, Wall(Ns(220))), (TracerTelemetry.WindowUpdateIgnoredEvent, Wall(Ns(340)))],
            span.Events.Select(e => (e.Name, e.Timestamp.UtcDateTime)));
        var stuck = span.Events.Single(e => e.Name == TracerTelemetry.StuckEvent);
        Assert.Equal("wl1_wrapped", stuck.Tags.Single(t => t.Key == "tracer.tcp.ignore_cause").Value);
        Assert.Equal(3_840_000_000L, stuck.Tags.Single(t => t.Key == "tracer.tcp.wl1_lag").Value);
    }

    [Fact]
    public void AFindingAboutTheTracerIsALogRecordWithItsFieldsAndNoConnection()
    {
        var sink = new TelemetrySink(log, Wall);
        sink.Emit(new Tracer.Analysis.Overhead.DropsFinding(Ns(5), 12, new Tracer.Analysis.Overhead.LoadState(100, 0, [7UL, 5UL], Tracer.Analysis.Overhead.DetailLevel.Full)));

        var record = Assert.Single(log.Records);
        Assert.Equal("tracer.drops", record.EventName);
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.Contains(new KeyValuePair<string, object?>("tracer.finding.subject", "tracer"), record.Attributes);
        Assert.Contains(new KeyValuePair<string, object?>("tracer.overhead.dropped", 12L), record.Attributes);
        Assert.DoesNotContain(record.Attributes, a => a.Key.StartsWith("network.", StringComparison.Ordinal));
        Assert.Empty(spans);
    }

    [Fact]
    public void EveryFindingIsALogRecordInItsEpisodesTrace()
    {
        var sink = new TelemetrySink(log, Wall);
        sink.Emit(Start(zeroSince: 10, reported: 10.2));
        sink.Emit(Stuck(zeroSince: 10, at: 11));
        sink.Emit(End(zeroSince: 10, end: 12));

        Assert.Equal(["tcp.zero_window.start", "tcp.stuck", "tcp.zero_window.end"], log.Records.Select(r => r.EventName));
        Assert.Equal([LogLevel.Information, LogLevel.Error, LogLevel.Information], log.Records.Select(r => r.Level));
        var span = Assert.Single(spans);
        Assert.All(log.Records, r => Assert.Equal(span.TraceId, r.TraceId));
        var stuck = log.Records[1];
        Assert.StartsWith("send window 0 for 1.0s", stuck.Message);
        Assert.Contains(new KeyValuePair<string, object?>("tracer.finding.kind", "tcp.stuck"), stuck.Attributes);
        Assert.Contains(new KeyValuePair<string, object?>("network.peer.port", 873L), stuck.Attributes);
    }

    [Fact]
    public void AnEndWithoutAReportedStartStillMakesTheWholeSpan()
    {
        var sink = new TelemetrySink(log, Wall);
        sink.Emit(End(zeroSince: 5, end: 6));
        var span = Assert.Single(spans);
        Assert.Equal(Wall(Ns(5)), span.StartTimeUtc);
        Assert.Equal(TimeSpan.FromSeconds(1), span.Duration);
    }

    [Fact]
    public void SpansAreRootsEvenWhenTheCallerHasACurrentActivity()
    {
        using var ambient = new Activity("caller").Start();
        var sink = new TelemetrySink(log, Wall);
        sink.Emit(Start(zeroSince: 1, reported: 1.5));
        sink.Emit(End(zeroSince: 1, end: 2));
        Assert.Equal(default, Assert.Single(spans).ParentSpanId);
        Assert.Same(ambient, Activity.Current);
    }

    [Fact]
    public void AnOwnerWhoseExecutableCannotBeReadHasOnlyItsCommand()
    {
        var sink = new TelemetrySink(log, Wall, new ExecutableNames(proc.FullName));
        sink.Emit(End(zeroSince: 5, end: 6));
        var span = Assert.Single(spans);
        Assert.Null(span.GetTagItem("process.executable.name"));
        Assert.Equal("rsync", span.GetTagItem("process.command"));
    }

    public void Dispose()
    {
        listener.Dispose();
        proc.Delete(recursive: true);
    }

    internal sealed record LogEntry(LogLevel Level, string EventName, string Message, IReadOnlyList<KeyValuePair<string, object?>> Attributes, ActivityTraceId TraceId);

    internal sealed class RecordingLogger : ILogger
    {
        public List<LogEntry> Records { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Records.Add(new LogEntry(logLevel, eventId.Name ?? "", formatter(state, exception),
                state as IReadOnlyList<KeyValuePair<string, object?>> ?? [], Activity.Current?.TraceId ?? default));
    }
}
