namespace Tracer.Integration.Tests;

/// <summary>
/// Least privilege: with only CAP_BPF and CAP_PERFMON tracer traces; without them, the message
/// names what is missing. The uid stays 0 (with every other capability dropped, including
/// CAP_DAC_OVERRIDE) so the test reads the build output wherever the checkout lives.
/// </summary>
public sealed class CapabilityTests
{
    public static string[] With(string capabilities) =>
    [
        "setpriv", $"--inh-caps=-all{capabilities}", $"--ambient-caps=-all{capabilities}", $"--bounding-set=-all{capabilities}",
    ];

    [KernelTheory]
    [InlineData("doctor")]
    [InlineData("tcp", "--json", "--duration", "2")]
    [InlineData("attach", "--port", "1", "--timeout", "0")]
    public void CapBpfAndCapPerfmonAreEnough(params string[] args)
    {
        var result = TracerProcess.Run(TimeSpan.FromSeconds(60), With(",+bpf,+perfmon"), args);
        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    [KernelFact]
    public void WithNoCapabilityTheMessageNamesBoth()
    {
        var result = TracerProcess.Run(TimeSpan.FromSeconds(60), With(""), "doctor");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("tracer: missing capability CAP_BPF and CAP_PERFMON: run as root or grant CAP_BPF and CAP_PERFMON\n", result.Stderr);
    }

    [KernelFact]
    public void WithoutCapPerfmonTheMessageNamesIt()
    {
        var result = TracerProcess.Run(TimeSpan.FromSeconds(60), With(",+bpf"), "doctor");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("tracer: missing capability CAP_PERFMON: run as root or grant CAP_BPF and CAP_PERFMON\n", result.Stderr);
    }
}
