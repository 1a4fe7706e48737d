using Tracer.Integration.Tests;

namespace Tracer.Cli.Tests;

/// <summary>The shipped systemd unit against the command it runs: settings from /etc/default/tracer, no restart loop on a usage error.</summary>
public sealed class UnitFileTests
{
    private static readonly Dictionary<string, string> Service = Unit.Read(Path.Combine(RepoPaths.Root, "deploy", "tracer.service"));

    [Fact]
    public void AUsageErrorIsAnExitTheUnitDoesNotRestart()
    {
        var result = TracerProcess.Run("run", "--sample-budget", "-5");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("on-failure", Service["Restart"]);
        Assert.Contains(result.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture), Service["RestartPreventExitStatus"].Split(' '));
    }

    [Fact]
    public void OptionsComeFromTheDefaultsFileTheUnitReads()
    {
        Assert.Equal("-/etc/default/tracer", Service["EnvironmentFile"]);
        Assert.Equal("/usr/bin/tracer run $TRACER_OPTIONS", Service["ExecStart"]);
        var defaults = File.ReadAllLines(Path.Combine(RepoPaths.Root, "deploy", "tracer.default"));
        Assert.Contains("TRACER_OPTIONS=", defaults);
    }

    [Fact]
    public void TheUnitMayReadKernelSymbolsButNeverAdministerTheSystem()
    {
        var bounding = Service["CapabilityBoundingSet"].Split(' ');

        Assert.Contains("CAP_SYSLOG", bounding);
        Assert.Contains("CAP_SYSLOG", Service["AmbientCapabilities"].Split(' '));
        Assert.DoesNotContain("CAP_SYS_ADMIN", bounding);
    }
}
