using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary>
/// The Debian package as an administrator uses it: built by <c>make deb</c>, installed with dpkg,
/// tracer run from the installed files, purged without a trace; and the shipped unit's
/// capabilities, which must be enough to name the functions of slab stacks.
/// </summary>
public sealed class PackageTests(ITestOutputHelper output)
{
    [KernelFact]
    public void TheDebianPackageInstallsRunsAndPurgesWithoutATrace()
    {
        Assert.False(Run("dpkg-query", "-W", "tracer").ExitCode == 0, "a tracer package is already installed here; this test would remove it");
        var make = Run("make", "-C", RepoPaths.Root, "--no-print-directory", "deb");
        Assert.True(make.ExitCode == 0, make.Stdout + make.Stderr);
        var deb = Path.Combine(RepoPaths.Root, make.Stdout.Trim().Split('\n')[^1]);
        try
        {
            var install = Run("dpkg", "-i", deb);
            Assert.True(install.ExitCode == 0, install.Stdout + install.Stderr);
            var files = Run("dpkg-query", "-L", "tracer").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(File.Exists).ToList();
            Assert.Contains("/usr/bin/tracer", files);
            Assert.Contains("/lib/systemd/system/tracer.service", files);
            Assert.Contains("/etc/default/tracer", files);
            Assert.Contains("/usr/share/man/man1/tracer.1.gz", files);

            var doctor = Run("/usr/bin/tracer", "doctor");
            Assert.True(doctor.ExitCode == 0, doctor.Stderr);
            Assert.Contains("tcp ack path: ", doctor.Stdout);
            var dataDir = Directory.CreateTempSubdirectory("tracer-deb-");
            var run = Run("/usr/bin/tracer", "run", "--duration", "2", "--data-dir", dataDir.FullName);
            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.True(new FileInfo(Path.Combine(dataDir.FullName, "metrics.jsonl")).Length > 0, "the installed tracer run wrote no metrics");
            dataDir.Delete(recursive: true);

            var purge = Run("dpkg", "-P", "tracer");
            Assert.True(purge.ExitCode == 0, purge.Stdout + purge.Stderr);
            Assert.DoesNotContain(files, File.Exists);
            Assert.False(Directory.Exists("/usr/share/doc/tracer"), "/usr/share/doc/tracer is left behind");
        }
        finally
        {
            Run("dpkg", "-P", "tracer");
        }
    }

    [KernelFact]
    public void UnderTheUnitsCapabilitiesSlabStacksNameTheirFunctions()
    {
        var unit = Unit.Read(Path.Combine(RepoPaths.Root, "deploy", "tracer.service"));
        var capabilities = unit["CapabilityBoundingSet"].Split(' ').Select(c => c["CAP_".Length..].ToLowerInvariant()).ToList();
        Assert.Contains("syslog", capabilities);
        // a capability this machine's root lacks itself (CAP_SYS_RESOURCE in this sandbox) cannot be granted to a child
        var missing = capabilities.Where(c => !HeldHere(c)).ToList();
        output.WriteLine($"the unit's capabilities: {string.Join(", ", capabilities)}; not held on this machine: {string.Join(", ", missing)}");
        capabilities = capabilities.Except(missing).ToList();

        var named = SlabFrames(capabilities);
        output.WriteLine($"with the unit's capabilities: {string.Join(", ", named.Take(6))}");
        Assert.Contains(named, f => f.Contains("sock_alloc_inode", StringComparison.Ordinal));

        // the same without CAP_SYSLOG: /proc/kallsyms reads as zeros (kptr_restrict, perf_event_paranoid), frames stay addresses
        var unnamed = SlabFrames(capabilities.Where(c => c != "syslog"));
        output.WriteLine($"without CAP_SYSLOG: {string.Join(", ", unnamed.Take(6))}");
        Assert.All(unnamed, f => Assert.StartsWith("0x", f, StringComparison.Ordinal));
    }

    /// <summary>The frames of the slab stacks <c>tracer slab</c> reports for a growing workload, under the given capabilities only.</summary>
    private List<string> SlabFrames(IEnumerable<string> capabilities)
    {
        var set = string.Concat(capabilities.Select(c => ",+" + c));
        using var workload = SlabWorkload.Grow("tr-unit-caps", 4000);
        var (exitCode, stdout, stderr) = TracerProcess.Run(TimeSpan.FromSeconds(60), CapabilityTests.With(set), "slab", "--json", "--sample", "1", "--interval", "0.5", "--duration", "4");
        Assert.True(exitCode == 0, stderr);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(f => f.TryGetProperty("top_stacks", out _))
            .SelectMany(f => f.GetProperty("top_stacks").EnumerateArray())
            .SelectMany(s => s.GetProperty("frames").EnumerateArray().Select(x => x.GetString()!))
            .ToList() is { Count: > 0 } frames ? frames : throw new Xunit.Sdk.XunitException($"no slab stack was reported\n{stdout}\n{stderr}");
    }

    /// <summary>Whether this process's bounding set has the capability (/proc/self/status CapBnd).</summary>
    private static bool HeldHere(string capability)
    {
        var bit = capability switch
        {
            "dac_read_search" => 2,
            "sys_ptrace" => 19,
            "sys_resource" => 24,
            "syslog" => 34,
            "perfmon" => 38,
            "bpf" => 39,
            _ => throw new ArgumentException($"no capability number known for {capability}"),
        };
        var bounding = Convert.ToUInt64(File.ReadLines("/proc/self/status").Single(l => l.StartsWith("CapBnd:", StringComparison.Ordinal))["CapBnd:".Length..].Trim(), 16);
        return (bounding & (1UL << bit)) != 0;
    }

    private TracerResult Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(10)), $"{file} {string.Join(' ', args)} did not finish");
        output.WriteLine($"{file} {string.Join(' ', args)}: exit {process.ExitCode}");
        return new TracerResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
