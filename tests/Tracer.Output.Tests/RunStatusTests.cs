using Tracer.Analysis.Findings;
using Tracer.Analysis.Overhead;
using Tracer.Analysis.Tests;

namespace Tracer.Output.Tests;

/// <summary>tracer run's status on standard error: in place on a terminal, a line a minute in a journal, a summary at the end.</summary>
public sealed class RunStatusTests
{
    private static readonly TraceState State = new(1, 1234, new LoadState(1234, 0, [0UL, 2UL], DetailLevel.Full), null, null);

    [Fact]
    public void InAJournalTheStatusIsOneLineAMinute()
    {
        var time = new ManualTime();
        var stderr = new StringWriter();
        var status = new RunStatus(stderr, terminal: false, time);
        status.Emit(FindingExamples.All.First(f => f.Kind == FindingKind.ZeroWindowStart));

        status.Tick(State);
        time.Advance(TimeSpan.FromSeconds(59));
        status.Tick(State);
        Assert.Equal("", stderr.ToString());

        time.Advance(TimeSpan.FromSeconds(2));
        status.Tick(State);
        var line = Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^tracer run: 0 connections tracked, 1234 samples, 2 dropped; findings: tcp\.zero_window\.start 1; CPU \d+\.\d %, RSS \d", line);
    }

    [Fact]
    public void OnATerminalTheLineIsRewrittenInPlaceEveryTickAndTheSummaryStays()
    {
        var time = new ManualTime();
        var stderr = new StringWriter();
        var status = new RunStatus(stderr, terminal: true, time);

        status.Tick(State);
        time.Advance(TimeSpan.FromSeconds(1));
        status.Tick(State);
        time.Advance(TimeSpan.FromSeconds(1));
        status.Summary();

        var text = stderr.ToString();
        Assert.Equal(3, text.Split("\r\e[K").Length - 1);
        Assert.EndsWith("tracer run: stopped after 2.0s: 0 connections tracked, 1234 samples, 2 dropped; findings: none; " + text.Split("; ")[^1], text, StringComparison.Ordinal);
    }

    private sealed class ManualTime : TimeProvider
    {
        private long ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => ticks;

        public void Advance(TimeSpan by) => ticks += by.Ticks;
    }
}
