using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tracer.Interop;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary>
/// Findings name the container and pod of a connection's owner and of a leak's main allocator: a
/// cgroup v2 hierarchy shaped the way kubelet (systemd driver) and containerd name it, and a
/// process moved into it that stalls a connection, another that leaks sockets.
/// </summary>
public sealed class ContainerIdentityTests(ITestOutputHelper output)
{
    private const string PodUid = "0b9a5b3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
    private const string ContainerId = "5f1c1e8b9d0a4c3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a99";

    /// <summary>Moves itself into the cgroup, fills a connection the peer does not read, then waits.</summary>
    private const string Staller = """
        use Socket;
        my ($procs, $port) = @ARGV;
        open(my $c, '>', $procs) or die "cgroup.procs: $!"; print $c "$$\n"; close $c;
        socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
        connect($s, sockaddr_in($port, inet_aton('127.0.0.1'))) or die "connect: $!";
        use Fcntl; fcntl($s, F_SETFL, O_NONBLOCK);
        my $chunk = 'x' x 65536; my $quiet = 0;
        while ($quiet < 30) { my $n = syswrite($s, $chunk); if (defined $n) { $quiet = 0 } else { $quiet++; select(undef, undef, undef, 0.02) } }
        $| = 1; print "blocked\n";
        <STDIN>;
        """;

    [KernelFact]
    public void AStalledConnectionsFindingsNameItsContainerAndPod()
    {
        using var container = new ContainerCgroup();
        using var loopback = new Loopback();
        using var tracer = new RunTracerProcess(null, "tcp", "--json", "--port", loopback.Port.ToString(CultureInfo.InvariantCulture), "--duration", "6");
        var start = new ProcessStartInfo("perl") { RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-e", Staller, container.Procs, loopback.Port.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(a);
        }

        using var staller = Process.Start(start)!;
        try
        {
            Assert.Equal("blocked", staller.StandardOutput.ReadLine());
            var (exitCode, stdout, stderr) = tracer.Finish(TimeSpan.FromSeconds(30));
            output.WriteLine(stdout + stderr);
            Assert.Equal(0, exitCode);

            var findings = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
                .Where(f => f.TryGetProperty("pid", out var pid) && pid.GetInt32() == staller.Id).ToList();
            Assert.Contains(findings, f => f.GetProperty("kind").GetString() == "tcp.zero_window.start");
            Assert.All(findings, f =>
            {
                Assert.Equal(ContainerId, f.GetProperty("container_id").GetString());
                Assert.Equal(PodUid, f.GetProperty("k8s_pod_uid").GetString());
            });
        }
        finally
        {
            staller.Kill();
            staller.WaitForExit();
        }
    }

    [KernelFact]
    public void ASocketLeakInsideThePodIsNamedWithItsContainerAndPod()
    {
        using var container = new ContainerCgroup();
        // 15 half-second intervals of growth make a suspect; the leak grows 400 sockets a second for 12 s
        using var tracer = BackgroundTracer.Start(["slab", "--json", "--interval", "0.5", "--duration", "16"]);
        Assert.NotNull(tracer.WaitForLine(l => l.Contains("\"slab.growth\"", StringComparison.Ordinal), TimeSpan.FromSeconds(20)));
        using var leak = SlabWorkload.Grow("podleak", Math.Min(4_800, SlabWorkload.MaxHeld));
        File.AppendAllText(container.Procs, leak.Pid.ToString(CultureInfo.InvariantCulture));

        var (exitCode, lines) = tracer.WaitForExit(TimeSpan.FromSeconds(40));
        output.WriteLine(tracer.Stderr + string.Join('\n', lines.Where(l => l.Contains("leak_suspect", StringComparison.Ordinal))));
        Assert.Equal(0, exitCode);

        var findings = lines.Select(l => JsonDocument.Parse(l).RootElement)
            .Where(f => f.TryGetProperty("pid", out var pid) && pid.GetInt32() == leak.Pid).ToList();
        var suspect = Assert.Single(findings, f => f.GetProperty("kind").GetString() == "slab.leak_suspect" && f.GetProperty("cache").GetString() == "sock_inode_cache");
        // the sockets came after the workload named itself; its first allocations (exec, the interpreter) were perl's
        Assert.Equal("podleak", suspect.GetProperty("comm").GetString());
        Assert.All(findings, f =>
        {
            Assert.Equal(ContainerId, f.GetProperty("container_id").GetString());
            Assert.Equal(PodUid, f.GetProperty("k8s_pod_uid").GetString());
        });
    }

    /// <summary>A container's cgroup inside a pod's, as kubelet's systemd driver and containerd name them; removed with its parents.</summary>
    private sealed class ContainerCgroup : IDisposable
    {
        private readonly string root = KernelFs.Cgroup2Root ?? throw new Xunit.Sdk.XunitException("no cgroup v2 hierarchy is mounted");
        private readonly string scope;

        public ContainerCgroup()
        {
            var pod = Path.Combine(root, "kubepods.slice", "kubepods-besteffort.slice", $"kubepods-besteffort-pod{PodUid.Replace('-', '_')}.slice");
            scope = Path.Combine(pod, $"cri-containerd-{ContainerId}.scope");
            Directory.CreateDirectory(scope);
        }

        public string Procs => Path.Combine(scope, "cgroup.procs");

        public void Dispose()
        {
            for (var dir = scope; dir != root; dir = Path.GetDirectoryName(dir)!)
            {
                Directory.Delete(dir);
            }
        }
    }
}
