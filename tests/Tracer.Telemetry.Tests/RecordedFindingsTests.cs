using Microsoft.Extensions.Logging.Abstractions;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Resets;
using Tracer.Analysis.Tests;
using static Tracer.Telemetry.Tests.Findings;

namespace Tracer.Telemetry.Tests;

/// <summary>What tracer run writes to logs.jsonl reads back as findings: kind, time, sentence and attributes.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RecordedFindingsTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), $"tracer-recorded-{Guid.NewGuid():N}");

    [Fact]
    public void AListenerResetWrittenByTheLogPipelineReadsBackWithItsPortAndSentence()
    {
        var listener = FindingExamples.All.OfType<ListenerResetFinding>().Single();
        using (var pipeline = TelemetryPipeline.Start(TelemetrySettings.Resolve(null, null, directory, _ => null), NullLogger.Instance))
        {
            var sink = new TelemetrySink(pipeline.FindingLogger, Wall);
            sink.Emit(listener);
            sink.Emit(FindingExamples.All.OfType<ResetsFinding>().Single());
            Assert.True(pipeline.Flush(TimeSpan.FromSeconds(10)));
        }

        var recorded = Assert.Single(RecordedFindings.Read(directory, FindingKind.ListenerReset.Name, DateTimeOffset.MinValue));
        Assert.Equal(listener.Message, recorded.Message);
        // a log record is stamped when it is emitted
        Assert.InRange(recorded.Time, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);
        Assert.Equal("80", recorded.Attributes[Fields.Port.Attribute]);
        Assert.Equal("true", recorded.Attributes[Fields.Ghost.Attribute]);
        Assert.Empty(RecordedFindings.Read(directory, FindingKind.ListenerReset.Name, DateTimeOffset.UtcNow.AddSeconds(1)));
    }

    [Fact]
    public void NoFileAndACutLineAreNotErrors()
    {
        Assert.Empty(RecordedFindings.Read(directory, FindingKind.ListenerReset.Name, DateTimeOffset.MinValue));
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, RecordedFindings.LogsFile), "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRec");
        Assert.Empty(RecordedFindings.Read(directory, FindingKind.ListenerReset.Name, DateTimeOffset.MinValue));
    }

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
