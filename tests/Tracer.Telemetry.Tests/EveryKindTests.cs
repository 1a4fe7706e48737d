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

/// <summary>A connection owned by a process in a Kubernetes pod's container names both, on log records and episode metrics.</summary>
public sealed class ContainerAttributeTests
{
    [Fact]
    public void AContainerisedOwnersFindingCarriesContainerIdAndPodUid()
    {
        var executables = new ExecutableNames(Path.Combine(Path.GetTempPath(), "no-proc-here"));
        var finding = (ConnectionFinding)FindingExamples.All.First(f => f is ConnectionFinding) with { Container = new ContainerIdentity("5f1c", "0b9a5b3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b") };

        var attributes = OtlpFields.Of(finding, executables).ToDictionary(a => a.Key, a => a.Value);

        Assert.Equal("5f1c", attributes[TelemetryAttributes.ContainerId]);
        Assert.Equal("0b9a5b3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", attributes[TelemetryAttributes.K8sPodUid]);
    }

    [Fact]
    public void AHostProcessesFindingHasNeither()
    {
        var executables = new ExecutableNames(Path.Combine(Path.GetTempPath(), "no-proc-here"));
        var attributes = OtlpFields.Of(FindingExamples.All.First(f => f is ConnectionFinding), executables).Select(a => a.Key).ToList();

        Assert.DoesNotContain(TelemetryAttributes.ContainerId, attributes);
        Assert.DoesNotContain(TelemetryAttributes.K8sPodUid, attributes);
    }
}
