using Tracer.Analysis.Findings;
using Tracer.Analysis.Recording;
using Tracer.Bpf;
using Tracer.Bpf.Tcp;
using Tracer.Output;
using Tracer.Pipeline;
using Tracer.Pipeline.Sources;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary>Live tracing and replay are one loop: a recording of a live run replays to the findings the live run made.</summary>
public sealed class LiveReplayTests(ITestOutputHelper output)
{
    [KernelFact]
    public void ARecordingOfALiveRunReplaysToTheSameFindings()
    {
        using var loopback = new Loopback();
        var path = Path.Combine(Directory.CreateTempSubdirectory("tracer-live-replay-").FullName, "run.trace");
        var log = new TestLog(output);
        var live = new Collector();
        using (var file = File.Create(path))
        using (var writer = new RecordingWriter(file, KernelSupport.KernelRelease))
        {
            var options = new TcpTraceOptions { Filter = new TcpFilter { Port = loopback.Port } };
            using var source = LiveTcpSource.Start(new BpfSettings(), options, log);
            using var stop = new StopSignal(durationSeconds: 5);
            var episode = Task.Run(() => ZeroWindowEpisode.Make(loopback, TimeSpan.FromSeconds(1)));
            new Engine(new EngineOptions(), new FindingFanOut(live, new RecordingOutput(writer)), log).Run(source, slab: null, stop);
            episode.Wait();
        }

        var replayed = new Collector();
        using (var source = FileTcpSource.Open(path))
        using (var stop = new StopSignal(durationSeconds: null))
        {
            new Engine(new EngineOptions(), replayed, log).Run(source, slab: null, stop);
        }

        output.WriteLine($"live:\n{string.Join('\n', live.Lines)}\nreplayed:\n{string.Join('\n', replayed.Lines)}");
        Assert.Contains(live.Findings, f => f.Kind == FindingKind.ZeroWindowStart);
        Assert.Contains(live.Findings, f => f.Kind == FindingKind.ZeroWindowEnd);
        Assert.Equal(live.Findings.Select(Identity), replayed.Findings.Select(Identity));
        File.Delete(path);
    }

    private static string Identity(Finding f) => f is ConnectionFinding c ? $"{f.Kind} {c.Cookie} {c.Endpoints} {f.Severity}" : f.Kind.Name;

    private sealed class Collector : IFindingSink
    {
        public List<Finding> Findings { get; } = [];

        public IEnumerable<string> Lines => Findings.Select(f => TextOutput.Format(f, TextOutput.Utc(Clock.ToWallClock)));

        public void Emit(Finding finding) => Findings.Add(finding);
    }
}
