using System.Text.Json;
using Tracer.Integration.Tests;

namespace Tracer.Cli.Tests;

/// <summary><c>tracer replay</c> as a user runs it: verdicts and exit codes, and a file with nothing to replay said so.</summary>
public sealed class ReplayCommandTests
{
    private static readonly string Incident = Path.Combine(AppContext.BaseDirectory, "Fixtures", "incident-rsync.jsonl");

    [Fact]
    public void TheIncidentReplaysToAStuckVerdictAndExitThree()
    {
        var result = TracerProcess.Run("replay", Incident);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains(" tcp.stuck 4711/rsync 192.168.10.20:51034 → 192.168.10.5:873: send window 0 for 4h31m", result.Stdout);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public void JsonFindingsReplayAsNoSamplesButTheirKindsParse()
    {
        var json = TracerProcess.Run("replay", "--json", Incident);
        var kinds = json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("kind").GetString()).ToList();
        Assert.Contains("tcp.stuck", kinds);

        var findingsOnly = Path.GetTempFileName();
        File.WriteAllText(findingsOnly, json.Stdout);
        var result = TracerProcess.Run("replay", findingsOnly);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"tracer: {findingsOnly}: no samples\n", result.Stderr);
        File.Delete(findingsOnly);
    }

    [Fact]
    public void AnEmptyFileSaysItHasNoSamplesAndExitsOne()
    {
        var empty = Path.GetTempFileName();

        var result = TracerProcess.Run("replay", empty);

        Assert.Equal(1, result.ExitCode);
        Assert.Empty(result.Stdout);
        Assert.Equal($"tracer: {empty}: no samples\n", result.Stderr);
        File.Delete(empty);
    }
}
