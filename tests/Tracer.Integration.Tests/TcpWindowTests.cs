using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Tcp;
using Tracer.Bpf;
using Tracer.Bpf.Tcp;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary>The TCP send-window tracer in its default always-on mode, on real loopback connections.</summary>
public sealed class TcpWindowTests(ITestOutputHelper output)
{
    private const long Gigabyte = 1_000_000_000;

    [KernelTheory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public void ReceiverPausingGivesExactlyOneZeroWindowEpisodeOfThatLength(AddressFamily family)
    {
        var pause = TimeSpan.FromSeconds(3);
        using var loopback = new Loopback(family);
        using var trace = new LiveTrace(loopback.Port, output);
        var (client, server) = loopback.Connect();

        // fill the peer's receive buffer and our send buffer, then stop producing: the window
        // closes once and, after the reader drains, never again
        var filled = Task.Run(() => Loopback.FillUntilBlocked(client));
        trace.PollUntil(() => filled.IsCompleted, TimeSpan.FromSeconds(20));
        var paused = Stopwatch.StartNew();
        trace.PollFor(pause - paused.Elapsed);
        var queued = filled.Result;
        var drained = Task.Run(() => Loopback.Drain(server, queued));
        trace.PollUntil(() => drained.IsCompleted, TimeSpan.FromSeconds(20));
        trace.PollFor(TimeSpan.FromMilliseconds(500));
        trace.Finish();

        var clientEnd = (IPEndPoint)client.LocalEndPoint!;
        var starts = trace.Findings.OfType<ZeroWindowStartFinding>().ToList();
        var ends = trace.Findings.OfType<ZeroWindowEndFinding>().ToList();
        output.WriteLine($"queued {queued} bytes; findings:\n{string.Join('\n', trace.Findings.Select(f => $"{f.Kind}: {f.Message}"))}");
        var start = Assert.Single(starts);
        var end = Assert.Single(ends);
        Assert.Empty(trace.Findings.OfType<StuckFinding>());
        Assert.Empty(trace.Findings.OfType<WindowUpdateIgnoredFinding>());

        foreach (var finding in new ConnectionFinding[] { start, end })
        {
            Assert.Equal(Environment.ProcessId, finding.Pid);
            Assert.Equal(family, finding.Endpoints.Family);
            Assert.Equal(clientEnd.Port, finding.Endpoints.LocalPort);
            Assert.Equal(loopback.Port, finding.Endpoints.PeerPort);
            Assert.Equal(loopback.Address, finding.Endpoints.Peer);
        }

        Assert.True(start.Unsent > 0, "an episode needs data waiting to be sent");
        var duration = TimeSpan.FromTicks((long)(end.Episode.DurationNs / 100));
        Assert.InRange(duration, pause - TimeSpan.FromMilliseconds(500), pause + TimeSpan.FromSeconds(1.5));
    }

    [KernelFact]
    public void MultiGigabyteTransferOnAFixedKernelKeepsWl1LagSmall()
    {
        using var loopback = new Loopback();
        using var trace = new LiveTrace(loopback.Port, output, TimeSpan.FromMilliseconds(100));
        var (client, server) = loopback.Connect();
        ulong maxLag = 0;
        var transfer = Task.Run(() => Loopback.Transfer(client, server, 3 * Gigabyte));
        trace.PollUntil(() =>
        {
            foreach (var c in trace.Analyzer.Connections)
            {
                maxLag = Math.Max(maxLag, c.Wl1LagBytes);
            }

            return transfer.IsCompleted;
        }, TimeSpan.FromMinutes(3));
        transfer.Wait();
        trace.Finish();

        output.WriteLine($"{trace.Samples.Count} samples, max wl1 lag {maxLag} bytes");
        var receiver = trace.Samples.Where(s => s.Endpoints.LocalPort == loopback.Port).ToList();
        Assert.True(receiver.Count(s => s.BytesReceived > 0) >= 5, "the receiving socket was sampled through the transfer");
        Assert.True(receiver.Max(s => s.BytesReceived) >= (ulong)Gigabyte, "the receiving socket was sampled past 1 GB");
        // snd_wl1 follows every in-order segment since 18ded910b589: a few receive windows at most
        Assert.InRange(maxLag, 0UL, 32UL << 20);
        Assert.Empty(trace.Findings.OfType<Wl1LagFinding>());
        Assert.Empty(trace.Findings.OfType<WindowUpdateIgnoredFinding>());
        Assert.Empty(trace.Findings.OfType<StuckFinding>());
    }

    /// <summary>
    /// A real recording of a multi-GB loopback transfer, replayed with snd_wl1 frozen as the
    /// pre-5.10 fast path left it: the 2^30 warning and the 2^31 critical come before the zero
    /// window, and the window the peer reopens is ignored — stuck.
    /// </summary>
    [KernelFact]
    public void FrozenWl1InARealRecordingWarnsBeforeTheHangThenReportsStuck()
    {
        using var loopback = new Loopback();
        var recording = Path.Combine(Path.GetTempPath(), $"tracer-bulk-{Environment.ProcessId}.trec");
        var (client, server) = loopback.Connect();
        try
        {
            // heartbeats every 50 ms so the recording shows the lag growing through 2^30 and 2^31
            using (var trace = new LiveTrace(loopback.Port, output, TimeSpan.FromMilliseconds(50)))
            using (var file = File.Create(recording))
            using (var writer = new RecordingWriter(file, KernelSupport.KernelRelease))
            {
                // 3.5 GB client → server: the server's snd_wl1 must follow 3.5 GB of peer sequence
                var bulk = Task.Run(() => Loopback.Transfer(client, server, 3_500_000_000));
                trace.PollUntil(() => bulk.IsCompleted, TimeSpan.FromMinutes(3), s => writer.Write(s));
                bulk.Wait();

                // then the server sends to a client that does not read: a zero window on the server
                var filled = Task.Run(() => Loopback.FillUntilBlocked(server));
                trace.PollUntil(() => filled.IsCompleted, TimeSpan.FromSeconds(20), s => writer.Write(s));
                trace.PollFor(TimeSpan.FromSeconds(2), s => writer.Write(s));
                var drained = Task.Run(() => Loopback.Drain(client, filled.Result));
                trace.PollUntil(() => drained.IsCompleted, TimeSpan.FromSeconds(20), s => writer.Write(s));
                trace.PollFor(TimeSpan.FromMilliseconds(500), s => writer.Write(s));
                trace.Finish();
                Assert.Empty(trace.Findings.OfType<StuckFinding>());
            }

            List<TcpSample> samples;
            using (var source = SampleSource.Open(recording))
            {
                samples = source.ReadAll().Where(s => s.Endpoints.LocalPort == loopback.Port).ToList();
            }

            output.WriteLine($"{samples.Count} samples of the server socket recorded");
            var healthy = Analyze(samples);
            Assert.Single(healthy.OfType<ZeroWindowEndFinding>());
            Assert.Empty(healthy.OfType<WindowUpdateIgnoredFinding>());

            var frozen = Analyze(Wl1Freezer.Freeze(samples));
            output.WriteLine(string.Join('\n', frozen.Select(f => $"{f.Kind}: {f.Message}")));
            var warning = frozen.FindIndex(f => f is Wl1LagFinding { Level: Severity.Warning });
            var critical = frozen.FindIndex(f => f is Wl1LagFinding { Level: Severity.Critical });
            var start = frozen.FindIndex(f => f is ZeroWindowStartFinding);
            var stuck = frozen.FindIndex(f => f is StuckFinding);
            Assert.True(warning >= 0 && warning < critical && critical < start && start < stuck,
                $"expected warning < critical < zero window < stuck, got {warning}, {critical}, {start}, {stuck}");
            Assert.Contains("18ded910b589", frozen[stuck].Message);
        }
        finally
        {
            File.Delete(recording);
        }
    }

    private static List<Finding> Analyze(IEnumerable<TcpSample> samples)
    {
        var sink = new ListSink();
        var analyzer = new TcpWindowAnalyzer(sink);
        ulong last = 0;
        foreach (var s in samples)
        {
            analyzer.Observe(s);
            last = s.TimestampNs;
        }

        analyzer.Flush(last);
        return sink.Findings;
    }

    private sealed class ListSink : IFindingSink
    {
        public List<Finding> Findings { get; } = [];

        public void Emit(Finding finding) => Findings.Add(finding);
    }

    /// <summary>The tracer in default mode, filtered to one port, feeding an analyzer on the test thread.</summary>
    private sealed class LiveTrace : IDisposable
    {
        private readonly TcpWindowTracer tracer;
        private readonly ListSink sink = new();

        public LiveTrace(ushort port, ITestOutputHelper output, TimeSpan? heartbeat = null)
        {
            var options = new TcpTraceOptions { Filter = new TcpFilter { Port = port }, Heartbeat = heartbeat ?? TimeSpan.FromSeconds(1) };
            tracer = TcpWindowTracer.Start(new BpfSettings(), options, new TestLog(output));
            Analyzer = new TcpWindowAnalyzer(sink);
        }

        public TcpWindowAnalyzer Analyzer { get; }

        public List<TcpSample> Samples { get; } = [];

        public List<Finding> Findings => sink.Findings;

        public void PollUntil(Func<bool> done, TimeSpan timeout, Action<TcpSample>? tap = null)
        {
            var deadline = Stopwatch.StartNew();
            while (!done())
            {
                Assert.True(deadline.Elapsed < timeout, $"workload did not finish within {timeout}");
                Poll(tap);
            }
        }

        public void PollFor(TimeSpan span, Action<TcpSample>? tap = null)
        {
            var until = Stopwatch.StartNew();
            while (until.Elapsed < span)
            {
                Poll(tap);
            }
        }

        public void Finish()
        {
            Poll(null);
            Analyzer.Flush(Analyzer.LastTimestampNs);
            Assert.Equal(0UL, tracer.Dropped);
        }

        public void Dispose() => tracer.Dispose();

        private void Poll(Action<TcpSample>? tap) =>
            tracer.Poll(50, (in TcpSample s) =>
            {
                Samples.Add(s);
                tap?.Invoke(s);
                Analyzer.Observe(s);
            });
    }
}
