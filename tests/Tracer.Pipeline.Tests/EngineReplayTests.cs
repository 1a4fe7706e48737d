using System.Text;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Tcp;
using Tracer.Analysis.Tests;
using Tracer.Pipeline.Sources;
using Microsoft.Extensions.Logging.Abstractions;
using TestAnalysis = Tracer.Analysis.Tests.Analysis;

namespace Tracer.Pipeline.Tests;

/// <summary>The engine's loop over files: the analyzers' findings, the sinks' samples and ticks, the end of a trace.</summary>
public sealed class EngineReplayTests
{
    private static readonly string Incident = Fixtures.PathOf("incident-rsync.jsonl");

    [Fact]
    public void TheIncidentReplayedThroughTheEngineGivesTheAnalyzersFindings()
    {
        var expected = TestAnalysis.Run(Fixtures.Read(Incident));
        var sink = new RecordingSink();

        var result = Replay(File.OpenRead(Incident), sink);

        Assert.Equal(expected.Select(Identity), sink.Findings.Select(Identity));
        Assert.Equal(1, result.Stuck);
        Assert.Equal((ulong)Fixtures.Read(Incident).Count, result.Samples);
    }

    [Fact]
    public void SinksSeeEverySampleAndTicksOnTheTracesOwnClock()
    {
        var samples = Fixtures.Read(Incident);
        var sink = new RecordingSink();

        Replay(File.OpenRead(Incident), sink);

        Assert.Equal(samples.Count, sink.Samples);
        Assert.NotEmpty(sink.Ticks);
        Assert.All(sink.Ticks, t => Assert.InRange(t.NowNs, samples[0].TimestampNs, samples[^1].TimestampNs));
        Assert.Equal(sink.Ticks.Select(t => t.NowNs).Order(), sink.Ticks.Select(t => t.NowNs));
        Assert.Equal((ulong)samples.Count, sink.Ticks[^1].Samples);
    }

    [Fact]
    public void AnEmptyFileEndsWithNoSamplesAndNoFindings()
    {
        var sink = new RecordingSink();

        var result = Replay(new MemoryStream(), sink);

        Assert.Equal(0UL, result.Samples);
        Assert.Empty(sink.Findings);
    }

    [Fact]
    public void FindingsBeforeABadRecordAreKeptAndOpenEpisodesClosed()
    {
        var lines = File.ReadAllLines(Incident);
        var afterStuck = lines.Length - 1;
        var truncated = string.Join('\n', lines.Take(afterStuck).Append("{\"ts_ns\": \"not a number\"}")) + "\n";
        var sink = new RecordingSink();

        Assert.Throws<ReplayFormatException>(() => Replay(new MemoryStream(Encoding.UTF8.GetBytes(truncated)), sink));

        Assert.Contains(sink.Findings, f => f.Kind == FindingKind.Stuck);
        Assert.Equal(FindingKind.ZeroWindowOpen, sink.Findings[^1].Kind);
    }

    private static EngineResult Replay(Stream file, IFindingSink sink)
    {
        using var source = new FileTcpSource(SampleSource.Open(file, "test"));
        using var stop = new StopSignal(durationSeconds: null);
        return new Engine(new EngineOptions(), sink, NullLogger.Instance).Run(source, slab: null, stop);
    }

    private static string Identity(Finding f) => f is ConnectionFinding c ? $"{f.Kind} {c.Cookie} {f.Severity}" : $"{f.Kind}";

    private sealed class RecordingSink : IFindingSink
    {
        public List<Finding> Findings { get; } = [];

        public int Samples { get; private set; }

        public List<TraceState> Ticks { get; } = [];

        public void Emit(Finding finding) => Findings.Add(finding);

        public void Sample(in TcpSample sample) => Samples++;

        public void Tick(TraceState state) => Ticks.Add(state);
    }
}
