using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary><c>tracer run</c> says what it does: the hooks and where telemetry goes at the start, a status line, a summary.</summary>
public sealed class RunStatusTests(ITestOutputHelper output)
{
    [KernelFact]
    public void TheBannerNamesTheTcpHooksMethodAndTheTelemetryDestination()
    {
        var dataDir = Directory.CreateTempSubdirectory("tracer-banner-");
        var result = TracerProcess.Run("run", "--duration", "3", "--data-dir", dataDir.FullName);
        output.WriteLine(result.Stderr);

        Assert.Equal(0, result.ExitCode);
        var lines = result.Stderr.Split('\n');
        Assert.Contains("  hook tcp ack path: tp_btf/tcp_probe", lines);
        Assert.Contains($"tracer run: telemetry to OTLP JSON files in {dataDir.FullName}", lines);
        Assert.Contains(lines, l => l.StartsWith("tracer run: stop with Ctrl-C or SIGTERM", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("tracer run: stopped after ", StringComparison.Ordinal) && l.Contains("connections tracked", StringComparison.Ordinal));
        dataDir.Delete(recursive: true);
    }

    [KernelFact]
    public void OnAPseudoTerminalTheStatusLineUpdates()
    {
        var dataDir = Directory.CreateTempSubdirectory("tracer-pty-");
        // script(1) runs tracer on a pseudo-terminal: standard error is a terminal there
        var start = new ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-qefc", $"{TracerProcess.Binary} run --duration 4 --data-dir {dataDir.FullName}", "/dev/null" })
        {
            start.ArgumentList.Add(a);
        }

        using var script = Process.Start(start)!;
        var screen = script.StandardOutput.ReadToEnd();
        Assert.True(script.WaitForExit(TimeSpan.FromSeconds(60)));
        output.WriteLine(screen.Replace("\e", "\\e", StringComparison.Ordinal));

        Assert.Equal(0, script.ExitCode);
        var updates = screen.Split("\r\e[K").Skip(1).Where(s => s.Contains("connections tracked", StringComparison.Ordinal)).ToList();
        Assert.True(updates.Count >= 3, string.Create(CultureInfo.InvariantCulture, $"{updates.Count} status updates in 4 s"));
        dataDir.Delete(recursive: true);
    }

    [KernelFact]
    public void UnderSystemdEveryLogLineCarriesItsSyslogPriority()
    {
        var result = TracerProcess.Run(TimeSpan.FromSeconds(60), null, new Dictionary<string, string> { ["JOURNAL_STREAM"] = "8:12345" }, ["tcp", "--json", "--duration", "1", "-v"]);

        Assert.Equal(0, result.ExitCode);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Matches(@"^<[0-7]>", l));
        Assert.Contains(lines, l => l.StartsWith("<7>", StringComparison.Ordinal) && l.Contains("tcp ack path: ", StringComparison.Ordinal));
    }
}
