namespace Tracer.Integration.Tests;

/// <summary>Command-line mistakes: usage on stderr, or one sentence for a bad value, and exit 2; never a stack trace.</summary>
public sealed class UsageTests
{
    [Theory]
    [InlineData("frobnicate")]
    [InlineData("doctor", "--no-such-option")]
    [InlineData("tcp", "--pid")]
    public void UsageErrorsExitWithTwo(params string[] args)
    {
        var result = TracerProcess.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Usage:", result.Stderr);
        Assert.Empty(result.Stdout);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void HelpListsTheCommands()
    {
        var result = TracerProcess.Run("--help");
        Assert.Equal(0, result.ExitCode);
        foreach (var command in new[] { "doctor", "tcp", "record", "replay", "report" })
        {
            Assert.Contains(command, result.Stdout);
        }
    }

    [Theory]
    [InlineData("--port", "70000", "tracer: --port 70000: a port is 1 to 65535\n")]
    [InlineData("--port", "0", "tracer: --port 0: a port is 1 to 65535\n")]
    [InlineData("--pid", "999999999", "tracer: --pid 999999999: no such process\n")]
    [InlineData("--pid", "abc", "tracer: --pid abc: not a whole number; give the id of a running process\n")]
    [InlineData("--family", "ipx", "tracer: --family ipx: use inet or inet6\n")]
    [InlineData("--duration", "-1", "tracer: --duration -1: give a positive number of seconds\n")]
    [InlineData("--attach", "uprobe", "tracer: --attach uprobe: unknown attach method; use fentry, kprobe, tp_btf, raw_tp, tracepoint\n")]
    public void BadValuesGetOneSentenceAndExitTwo(string option, string value, string message)
    {
        string[] args = option == "--duration" ? ["tcp", option, value] : ["tcp", option, value, "--duration", "1"];
        var result = TracerProcess.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(message, result.Stderr);
    }

    [KernelFact]
    public void UnknownCgroupNamesTheHierarchy()
    {
        var root = Tracer.Interop.KernelFs.Cgroup2Root!;
        var result = TracerProcess.Run("tcp", "--cgroup", "no/such/group", "--duration", "1");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"tracer: --cgroup no/such/group: no cgroup v2 directory {root}/no/such/group (cgroup v2 is mounted at {root})\n", result.Stderr);
    }
}
