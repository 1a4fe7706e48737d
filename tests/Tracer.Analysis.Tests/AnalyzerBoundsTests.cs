using Tracer.Analysis.Findings;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Tests;

public sealed class AnalyzerBoundsTests
{
    private const ulong T = 1000 * Samples.Second;

    [Fact]
    public void CapEvictsTheLeastRecentlySeen()
    {
        var analyzer = new TcpWindowAnalyzer(new FindingCollector(), new TcpWindowAnalyzerOptions { MaxConnections = 4 });

        for (ulong cookie = 1; cookie <= 10; cookie++)
        {
            analyzer.Observe(Samples.Connection(cookie, T + cookie));
            analyzer.Observe(Samples.Connection(3, T + cookie));
        }

        Assert.Equal(4, analyzer.Count);
        Assert.Equal([3UL, 10UL, 9UL, 8UL], analyzer.Connections.Select(c => c.Cookie));
        Assert.False(analyzer.TryGet(7, out _));
        Assert.True(analyzer.TryGet(3, out var kept));
        Assert.Equal(11, kept.Samples);
    }

    [Fact]
    public void TrackingFarMoreThanTheCapDoesNotGrow()
    {
        var analyzer = new TcpWindowAnalyzer(new FindingCollector(), new TcpWindowAnalyzerOptions { MaxConnections = 1000 });
        for (ulong cookie = 0; cookie < 5000; cookie++)
        {
            analyzer.Observe(Samples.Connection(cookie, T + cookie));
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (ulong cookie = 5000; cookie < 105_000; cookie++)
        {
            analyzer.Observe(Samples.Connection(cookie, T + cookie));
        }

        Assert.Equal(1000, analyzer.Count);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 64 * 1024);
    }

    [Fact]
    public void EvictingAConnectionInAnEpisodeReportsIt()
    {
        var sink = new FindingCollector();
        var analyzer = new TcpWindowAnalyzer(sink, new TcpWindowAnalyzerOptions { MaxConnections = 1 });
        var closing = Samples.Connection(1) with { Unsent = 10, SegWin = 0 };

        analyzer.Observe(closing);
        analyzer.Observe(Samples.Connection(2, T + (3 * Samples.Second)));

        var open = Assert.IsType<ZeroWindowOpenFinding>(sink.Findings[^1]);
        Assert.Equal(1UL, open.Cookie);
        Assert.Equal(TrackingEnd.CapacityEviction, open.End);
        Assert.Equal(3 * Samples.Second, open.Episode.DurationNs);
        Assert.Contains("when the connection was evicted to make room", open.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IdleConnectionsAreForgotten()
    {
        var sink = new FindingCollector();
        var analyzer = new TcpWindowAnalyzer(sink, new TcpWindowAnalyzerOptions { IdleTimeout = TimeSpan.FromMinutes(1) });
        analyzer.Observe(Samples.Connection(1) with { Unsent = 10, SegWin = 0 });
        analyzer.Observe(Samples.Connection(2, T + (30 * Samples.Second)));

        analyzer.Observe(Samples.Connection(2, T + (61 * Samples.Second)));
        var open = Assert.IsType<ZeroWindowOpenFinding>(sink.Findings[^1]);
        Assert.Equal(TrackingEnd.IdleEviction, open.End);
        Assert.Equal([2UL], analyzer.Connections.Select(c => c.Cookie));

        analyzer.ExpireIdle(T + (200 * Samples.Second));
        Assert.Equal(0, analyzer.Count);
    }

    [Fact]
    public void FlushForgetsEverything()
    {
        var analyzer = new TcpWindowAnalyzer(new FindingCollector());
        analyzer.Observe(Samples.Connection(1));
        analyzer.Observe(Samples.Connection(2));

        analyzer.Flush(analyzer.LastTimestampNs);

        Assert.Equal(0, analyzer.Count);
        Assert.Empty(analyzer.Connections);
    }

    [Fact]
    public void ObservingWhileEnumeratingIsAnError()
    {
        var analyzer = new TcpWindowAnalyzer(new FindingCollector());
        analyzer.Observe(Samples.Connection(1));
        analyzer.Observe(Samples.Connection(2));

        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var view in analyzer.Connections)
            {
                analyzer.Observe(Samples.Connection(3));
            }
        });
    }

    [Fact]
    public void UnknownOwnerKeepsTheLastKnown()
    {
        var analyzer = new TcpWindowAnalyzer(new FindingCollector());
        analyzer.Observe(Samples.Connection(1));
        analyzer.Observe(Samples.Connection(1) with { Pid = 0, Comm = "" });

        Assert.True(analyzer.TryGet(1, out var view));
        Assert.Equal(321, view.Pid);
        Assert.Equal("iperf3", view.Comm);
    }

    [Fact]
    public void OptionsAreChecked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TcpWindowAnalyzer(new FindingCollector(), new TcpWindowAnalyzerOptions { MaxConnections = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TcpWindowAnalyzer(new FindingCollector(), new TcpWindowAnalyzerOptions { IdleTimeout = TimeSpan.Zero }));
    }
}
