using Tracer.Integration.Tests;

namespace Tracer.Cli.Tests;

/// <summary><c>tracer report</c> as a user runs it: the page written owner-only, bad inputs one line and exit 1.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ReportCommandTests : IDisposable
{
    private static readonly string Incident = Path.Combine(AppContext.BaseDirectory, "Fixtures", "incident-rsync.jsonl");
    private readonly string directory = Directory.CreateTempSubdirectory("tracer-report-command-").FullName;

    [Fact]
    public void TheIncidentBecomesOneSelfContainedPageReadableByItsOwnerOnly()
    {
        var page = Path.Combine(directory, "incident.html");

        var result = TracerProcess.Run("report", Incident, "-o", page);

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.Stdout);
        Assert.Equal($"tracer: report of 1 inputs written to {page}\n", result.Stderr);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(page));
        var html = File.ReadAllText(page);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("uPlot", html, StringComparison.Ordinal);
        Assert.Contains("tcp.stuck", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script src", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<link", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplaysJsonFindingsAreAnInputToo()
    {
        var findings = Path.Combine(directory, "findings.jsonl");
        File.WriteAllText(findings, TracerProcess.Run("replay", "--json", Incident).Stdout);
        var page = Path.Combine(directory, "findings.html");

        var result = TracerProcess.Run("report", findings, Incident, "-o", page);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"tracer: report of 2 inputs written to {page}\n", result.Stderr);
    }

    [Fact]
    public void AForeignFileIsOneLineNamingItAndExitOne()
    {
        var notes = Path.Combine(directory, "notes.txt");
        File.WriteAllText(notes, "hello, world\n");
        var page = Path.Combine(directory, "notes.html");

        var result = TracerProcess.Run("report", notes, "-o", page);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"tracer: {notes}: byte offset 0: neither a tracer recording nor JSON Lines samples (starts with 0x68656C6C6F2C2077)\n", result.Stderr);
        Assert.False(File.Exists(page));
    }

    [Fact]
    public void AFileWithNothingToShowSaysSoAndExitsOne()
    {
        var empty = Path.Combine(directory, "empty.jsonl");
        File.WriteAllText(empty, "");

        var result = TracerProcess.Run("report", empty, "-o", Path.Combine(directory, "empty.html"));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"tracer: {empty}: no samples and no findings\n", result.Stderr);
    }

    [Fact]
    public void HelpNamesTheInputsAndTheOutput()
    {
        var result = TracerProcess.Run("report", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("INPUT", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("-o, --output", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("data directory", result.Stdout, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
