using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tracer.Analysis.Tcp;
using Tracer.Bpf;
using Tracer.Bpf.Tcp;
using Tracer.Interop;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary>The kernel-side filters: each must pass its own traffic and nothing else.</summary>
public sealed class TcpFilterTests(ITestOutputHelper output)
{
    private static readonly string OwnComm = File.ReadAllText("/proc/self/comm").TrimEnd('\n');

    [KernelFact]
    public void FamilyFilterPassesOnlyThatFamily()
    {
        using var v4 = new Loopback(AddressFamily.InterNetwork);
        using var v6 = new Loopback(AddressFamily.InterNetworkV6);
        var samples = Trace(new TcpFilter { Family = AddressFamily.InterNetworkV6 }, v4, v6);
        Assert.Contains(samples, s => s.Endpoints.LocalPort == v6.Port || s.Endpoints.PeerPort == v6.Port);
        Assert.All(samples, s => Assert.Equal(AddressFamily.InterNetworkV6, s.Endpoints.Family));
    }

    [KernelFact]
    public void PortFilterMatchesLocalOrPeerPort()
    {
        using var wanted = new Loopback();
        using var other = new Loopback();
        var samples = Trace(new TcpFilter { Port = wanted.Port }, wanted, other);
        Assert.Contains(samples, s => s.Endpoints.LocalPort == wanted.Port);
        Assert.Contains(samples, s => s.Endpoints.PeerPort == wanted.Port);
        Assert.All(samples, s => Assert.True(s.Endpoints.LocalPort == wanted.Port || s.Endpoints.PeerPort == wanted.Port));
    }

    [KernelTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void PidFilterPassesOnlyThatProcess(bool ours)
    {
        using var loopback = new Loopback();
        var pid = ours ? Environment.ProcessId : 1;
        var samples = Trace(new TcpFilter { Pid = pid }, loopback);
        if (ours)
        {
            Assert.NotEmpty(samples);
            Assert.All(samples, s => Assert.Equal(Environment.ProcessId, s.Pid));
        }
        else
        {
            Assert.DoesNotContain(samples, s => s.Endpoints.LocalPort == loopback.Port || s.Endpoints.PeerPort == loopback.Port);
        }
    }

    [KernelTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void CommFilterPassesOnlyThatCommand(bool ours)
    {
        using var loopback = new Loopback();
        var samples = Trace(new TcpFilter { Comm = ours ? OwnComm : "no-such-comm" }, loopback);
        if (ours)
        {
            Assert.NotEmpty(samples);
            Assert.All(samples, s => Assert.Equal(OwnComm, s.Comm));
        }
        else
        {
            Assert.DoesNotContain(samples, s => s.Endpoints.LocalPort == loopback.Port || s.Endpoints.PeerPort == loopback.Port);
        }
    }

    /// <summary>A client in its own cgroup v2: only its socket passes a filter on that cgroup.</summary>
    [KernelFact]
    public void CgroupFilterPassesOnlySocketsOfThatCgroup()
    {
        var root = KernelFs.Cgroup2Root ?? throw new InvalidOperationException("no cgroup v2 hierarchy mounted");
        var group = Path.Combine(root, $"tracer-test-{Environment.ProcessId}");
        Directory.CreateDirectory(group);
        using var loopback = new Loopback();
        try
        {
            var filter = new TcpFilter { CgroupId = KernelFs.Inode(group), Port = loopback.Port };
            using var tracer = TcpWindowTracer.Start(new BpfSettings(), new TcpTraceOptions { EverySegment = true, Filter = filter }, new TestLog(output));
            var (ownClient, ownServer) = loopback.Connect();

            // bash joins the cgroup, then connects: its socket is charged to the cgroup
            using var outsider = Process.Start("bash", ["-c", $"echo $$ > {group}/cgroup.procs && exec 3<>/dev/tcp/127.0.0.1/{loopback.Port} && head -c 200000 /dev/zero >&3 && sleep 1"])!;
            var outsiderServer = loopback.Accept();
            var samples = new List<TcpSample>();
            var deadline = Stopwatch.StartNew();
            var buffer = new byte[65536];
            while (deadline.Elapsed < TimeSpan.FromSeconds(5) && !outsider.HasExited)
            {
                ownClient.Send(buffer);
                if (outsiderServer.Available > 0)
                {
                    outsiderServer.Receive(buffer);
                }

                if (ownServer.Available > 0)
                {
                    ownServer.Receive(buffer);
                }

                tracer.Poll(20, (in TcpSample s) => samples.Add(s));
            }

            outsider.WaitForExit();
            tracer.Poll(100, (in TcpSample s) => samples.Add(s));
            var outsiderPort = (ushort)((IPEndPoint)outsiderServer.RemoteEndPoint!).Port;
            Assert.Contains(samples, s => s.Endpoints.LocalPort == outsiderPort);
            var ownPort = (ushort)((IPEndPoint)ownClient.LocalEndPoint!).Port;
            Assert.DoesNotContain(samples, s => s.Endpoints.LocalPort == ownPort || s.Endpoints.PeerPort == ownPort);
        }
        finally
        {
            Directory.Delete(group);
        }
    }

    /// <summary>Traffic both ways on every loopback given, with --every-segment and the filter; returns what passed.</summary>
    private List<TcpSample> Trace(TcpFilter filter, params Loopback[] loopbacks)
    {
        using var tracer = TcpWindowTracer.Start(new BpfSettings(), new TcpTraceOptions { EverySegment = true, Filter = filter }, new TestLog(output));
        var pairs = loopbacks.Select(l => l.Connect()).ToList();
        var samples = new List<TcpSample>();
        for (var round = 0; round < 10; round++)
        {
            foreach (var (client, server) in pairs)
            {
                Loopback.Transfer(client, server, 32 * 1024);
                Loopback.Transfer(server, client, 32 * 1024);
            }

            tracer.Poll(50, (in TcpSample s) => samples.Add(s));
        }

        tracer.Poll(100, (in TcpSample s) => samples.Add(s));
        var ports = loopbacks.Select(l => l.Port).ToHashSet();
        output.WriteLine($"{samples.Count} samples passed, {samples.Count(s => ports.Contains(s.Endpoints.LocalPort) || ports.Contains(s.Endpoints.PeerPort))} of them ours");
        return samples;
    }
}
