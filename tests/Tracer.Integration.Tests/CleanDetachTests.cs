using System.Diagnostics;
using System.Text.Json;

namespace Tracer.Integration.Tests;

/// <summary>
/// However tracer ends, nothing of it stays in the kernel: the BPF programs,
/// links and maps before and after are the same (bpftool's view).
/// </summary>
public sealed class CleanDetachTests
{
    public static TheoryData<string, string> Endings => new()
    {
        { "tcp", "duration" },
        { "tcp", "SIGINT" },
        { "tcp", "SIGTERM" },
        { "tcp", "SIGKILL" },
        { "doctor", "exit" },
    };

    [KernelTheory]
    [MemberData(nameof(Endings))]
    public void NothingRemainsInTheKernel(string command, string ending)
    {
        var before = KernelObjects();
        var start = new ProcessStartInfo(TracerProcess.Binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(command);
        if (command == "tcp")
        {
            start.ArgumentList.Add("--json");
            start.ArgumentList.Add("--duration");
            start.ArgumentList.Add(ending == "duration" ? "2" : "60");
        }

        using var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        if (ending.StartsWith("SIG", StringComparison.Ordinal))
        {
            WaitUntil(() => KernelObjects().Except(before).Programs.Count > 0, "tracer never attached");
            using var kill = Process.Start("kill", [$"-{ending[3..]}", process.Id.ToString()])!;
            kill.WaitForExit();
        }

        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), $"tracer {command} did not end after {ending}");
        if (ending != "SIGKILL")
        {
            Assert.Equal(0, process.ExitCode);
        }

        // the kernel frees a killed process's objects once its file descriptors are closed;
        // ids are allocated cyclically, so anything not in the earlier list is tracer's
        WaitUntil(() => KernelObjects().Except(before).IsEmpty, "BPF objects left behind");
        Assert.True(KernelObjects().Except(before).IsEmpty, $"left behind: {KernelObjects().Except(before)}");
    }

    private static void WaitUntil(Func<bool> condition, string failure)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), failure);
            Thread.Sleep(100);
        }
    }

    private sealed record Objects(IReadOnlyList<int> Programs, IReadOnlyList<int> Links, IReadOnlyList<int> Maps)
    {
        public bool IsEmpty => Programs.Count == 0 && Links.Count == 0 && Maps.Count == 0;

        public Objects Except(Objects earlier) =>
            new(Programs.Except(earlier.Programs).ToList(), Links.Except(earlier.Links).ToList(), Maps.Except(earlier.Maps).ToList());

        public override string ToString() => $"programs [{string.Join(',', Programs)}], links [{string.Join(',', Links)}], maps [{string.Join(',', Maps)}]";
    }

    private static Objects KernelObjects() => new(Ids("prog"), Ids("link"), Ids("map"));

    private static List<int> Ids(string kind)
    {
        using var bpftool = Process.Start(new ProcessStartInfo("bpftool", ["-j", kind, "show"]) { RedirectStandardOutput = true })!;
        var json = bpftool.StandardOutput.ReadToEnd();
        bpftool.WaitForExit();
        using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "[]" : json);
        // an object freed while bpftool walks the list comes back without an id
        return doc.RootElement.EnumerateArray()
            .Where(e => e.TryGetProperty("id", out _))
            .Select(e => e.GetProperty("id").GetInt32())
            .Order()
            .ToList();
    }
}
