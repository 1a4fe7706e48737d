using Tracer.Analysis.Findings;
using Tracer.Analysis.Tests;

namespace Tracer.Telemetry.Tests;

/// <summary>Every finding kind becomes OpenTelemetry attributes from its declaration alone: each declared field, under its own name.</summary>
public sealed class EveryKindTests
{
    [Fact]
    public void EveryDeclaredFieldBecomesAnAttribute()
    {
        var executables = new ExecutableNames(Path.Combine(Path.GetTempPath(), "no-proc-here"));
        Assert.All(FindingExamples.All, finding =>
        {
            var attributes = OtlpFields.Of(finding, executables).Select(a => a.Key).ToHashSet();
            Assert.All(FindingExamples.Declared(finding), field => Assert.Contains(field.Attribute, attributes));
            Assert.All(attributes, key => Assert.True(key.StartsWith("tracer.", StringComparison.Ordinal) || key.StartsWith("network.", StringComparison.Ordinal) || key.StartsWith("process.", StringComparison.Ordinal), key));
        });
    }

    [Fact]
    public void ConnectionFindingsCarryTheSemanticConventionConnection()
    {
        var executables = new ExecutableNames(Path.Combine(Path.GetTempPath(), "no-proc-here"));
        Assert.All(FindingExamples.All.OfType<ConnectionFinding>(), finding =>
        {
            var attributes = OtlpFields.Of(finding, executables).ToDictionary(a => a.Key, a => a.Value);
            Assert.Equal("tcp", attributes[TelemetryAttributes.NetworkTransport]);
            Assert.Equal(4711L, attributes[TelemetryAttributes.ProcessPid]);
            Assert.Equal("rsync", attributes[TelemetryAttributes.ProcessCommand]);
        });
    }
}
