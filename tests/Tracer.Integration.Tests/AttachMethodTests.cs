using System.Net.Sockets;
using Tracer.Analysis.Tcp;
using Tracer.Bpf;
using Tracer.Bpf.Attach;
using Tracer.Bpf.Tcp;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary>
/// Every attach method and transport this kernel supports, forced one at a
/// time, must load, attach and deliver real events: no fallback is code that has not run.
/// </summary>
public sealed class AttachMethodTests(ITestOutputHelper output)
{
    public static TheoryData<AttachMethod, Transport> WorkingPaths => new()
    {
        { AttachMethod.TpBtf, Transport.RingBuffer },
        { AttachMethod.TpBtf, Transport.PerfBuffer },
        { AttachMethod.RawTracepoint, Transport.RingBuffer },
        { AttachMethod.RawTracepoint, Transport.PerfBuffer },
        { AttachMethod.Tracepoint, Transport.RingBuffer },
        { AttachMethod.Tracepoint, Transport.PerfBuffer },
    };

    [KernelTheory]
    [MemberData(nameof(WorkingPaths))]
    public void TcpProgramsDeliverRealSegmentsAndOwners(AttachMethod method, Transport transport)
    {
        using var loopback = new Loopback();
        var settings = new BpfSettings { ForcedMethod = method, Transport = transport };
        var options = new TcpTraceOptions { EverySegment = true, Filter = new TcpFilter { Port = loopback.Port } };
        using var tracer = TcpWindowTracer.Start(settings, options, new TestLog(output));

        Assert.All(tracer.Choices, c => Assert.Equal(method, c.Chosen?.Method));
        Assert.Equal(transport, tracer.Transport);

        var (client, server) = loopback.Connect();
        var samples = new List<TcpSample>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && !samples.Any(s => s.Pid == Environment.ProcessId))
        {
            Loopback.Transfer(client, server, 64 * 1024);
            Loopback.Transfer(server, client, 64 * 1024);
            tracer.Poll(100, (in TcpSample s) => samples.Add(s));
        }

        Assert.NotEmpty(samples);
        Assert.All(samples, s => Assert.True(s.Endpoints.LocalPort == loopback.Port || s.Endpoints.PeerPort == loopback.Port));
        Assert.All(samples, s => Assert.Equal(AddressFamily.InterNetwork, s.Endpoints.Family));
        Assert.Contains(samples, s => s.Pid == Environment.ProcessId && s.Comm.Length > 0);
        Assert.Contains(samples, s => s.Reason.HasFlag(EmitReason.EverySegment));
        Assert.Equal(0UL, tracer.Dropped);
        AssertWindowScaleMatchesSs(samples, (System.Net.IPEndPoint)client.LocalEndPoint!);
        output.WriteLine($"{method.Label()}/{transport}: {samples.Count} samples");
    }

    /// <summary>A ring the reader does not drain overflows: every lost sample is counted, none silently.</summary>
    [KernelTheory]
    [InlineData(Transport.RingBuffer)]
    [InlineData(Transport.PerfBuffer)]
    public void OverflowIsCountedNotSilent(Transport transport)
    {
        using var loopback = new Loopback();
        var settings = new BpfSettings { Transport = transport };
        var options = new TcpTraceOptions { EverySegment = true, RingBufferBytes = 4096, Filter = new TcpFilter { Port = loopback.Port } };
        using var tracer = TcpWindowTracer.Start(settings, options, new TestLog(output));
        var (client, server) = loopback.Connect();
        for (var i = 0; i < 2000; i++)
        {
            Loopback.Transfer(client, server, 100);
        }

        long received = 0;
        while (tracer.Poll(100, (in TcpSample _) => received++) > 0)
        {
        }

        output.WriteLine($"{transport}: {received} samples read, {tracer.Dropped} dropped");
        Assert.True(tracer.Dropped > 0, "4000 segments cannot fit a 4 KiB ring");
        Assert.True(received > 0);
    }

    /// <summary>snd_wscale is a bitfield: compare the program's reading with what ss reports for the same socket.</summary>
    private static void AssertWindowScaleMatchesSs(List<TcpSample> samples, System.Net.IPEndPoint client)
    {
        var (send, _) = Ss.WindowScales(client.Port);
        var sent = samples.Where(s => s.Endpoints.LocalPort == client.Port).ToList();
        Assert.NotEmpty(sent);
        Assert.All(sent, s => Assert.Equal(send, s.SndWscale));
    }

    /// <summary>
    /// Renamed kernel functions (kmem_cache_alloc → kmem_cache_alloc_noprof in 6.10) are candidates
    /// of their own, tried in order: a name this kernel does not have is refused as such.
    /// </summary>
    [KernelFact]
    public void AFunctionNameTheKernelLacksIsRefusedAsSuchAndTheNextIsTried()
    {
        var hook = new HookSpec("tcp ack path, renamed",
        [
            new(AttachMethod.Fentry, "tcp_ack_renamed", "tcp_ack_fentry"),
            new(AttachMethod.Fentry, "tcp_ack", "tcp_ack_fentry"),
            new(AttachMethod.TpBtf, "tcp_probe", "tcp_probe_btf"),
        ]);
        var component = TcpWindowComponent.Component with { Hooks = [hook] };
        var loader = new ComponentLoader(new BpfSettings(), new TestLog(output));
        var choice = Assert.Single(loader.Probe(component, obj => TcpWindowComponent.ConfigureTransport(obj, Transport.RingBuffer, new TcpTraceOptions().RingBufferBytes)));
        Assert.Equal(["no function tcp_ack_renamed in kernel BTF", "EPERM on load"], choice.Refusals.Select(r => r.Reason));
        Assert.Equal(hook.Candidates[2], choice.Chosen);
    }

    [KernelTheory]
    [InlineData(AttachMethod.Fentry)]
    [InlineData(AttachMethod.Kprobe)]
    public void RefusedMethodsFailWithTheKernelsReason(AttachMethod method)
    {
        var settings = new BpfSettings { ForcedMethod = method };
        var e = Assert.Throws<HookUnavailableException>(() => TcpWindowTracer.Start(settings, new TcpTraceOptions(), new TestLog(output)));
        output.WriteLine(e.Message);
        Assert.Equal(TcpWindowComponent.AckPath, e.Choice.Hook);
        var refusal = Assert.Single(e.Choice.Refusals, r => r.Candidate.Method == method);
        Assert.Equal(method == AttachMethod.Fentry ? "EPERM on load" : "kernel has no kprobes", refusal.Reason);
    }
}
