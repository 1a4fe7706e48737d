using System.Net.Sockets;
using Tracer.Analysis.Tcp;
using Tracer.Bpf;
using Tracer.Bpf.Tcp;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary>
/// <c>tracer run</c> follows a connection once it has moved 1 MiB or its window closed: a short,
/// healthy connection costs a lookup, not a state and a sample; a stalled small one is still seen.
/// </summary>
public sealed class FollowAfterBytesTests(ITestOutputHelper output)
{
    private const ulong Threshold = 1 << 20;

    [KernelFact]
    public void OnlyConnectionsPastTheThresholdOrWithAClosedWindowAreFollowed()
    {
        using var small = new Loopback();
        using var big = new Loopback();
        using var stalled = new Loopback(receiveBuffer: 4096);
        using var tracer = TcpWindowTracer.Start(new BpfSettings(), new TcpTraceOptions { FollowAfterBytes = Threshold }, new TestLog(output));
        var samples = new List<TcpSample>();
        void Poll(int ms) => tracer.Poll(ms, (in TcpSample s) => samples.Add(s));

        var (smallClient, smallServer) = small.Connect();
        Loopback.Transfer(smallClient, smallServer, 16 * 1024);
        Loopback.Transfer(smallServer, smallClient, 16 * 1024);
        var (bigClient, bigServer) = big.Connect();
        Loopback.Transfer(bigClient, bigServer, 8 * (long)Threshold);
        var (stalledClient, stalledServer) = stalled.Connect(sendBuffer: 16 * 1024);
        var queued = Loopback.FillUntilBlocked(stalledClient);
        Thread.Sleep(300);
        Poll(100);
        Loopback.Drain(stalledServer, queued);
        Thread.Sleep(100);
        Poll(100);

        bool On(TcpSample s, Loopback l) => s.Endpoints.LocalPort == l.Port || s.Endpoints.PeerPort == l.Port;
        output.WriteLine($"{samples.Count} samples: small {samples.Count(s => On(s, small))}, big {samples.Count(s => On(s, big))}, stalled {samples.Count(s => On(s, stalled))} ({queued} bytes queued)");
        Assert.DoesNotContain(samples, s => On(s, small));
        Assert.Contains(samples, s => On(s, big) && s.BytesReceived + s.BytesAcked >= Threshold);
        var stall = Assert.Single(samples, s => On(s, stalled) && s.Reason.HasFlag(EmitReason.First));
        Assert.True(stall.BytesReceived + stall.BytesAcked < Threshold, $"the stalled connection had moved {stall.BytesAcked} bytes");
        // followed from the segment that closed the window (the state is read before the kernel applies it)
        Assert.True(stall.SndWnd == 0 || stall.Reason.HasFlag(EmitReason.ZeroWindowEnter), $"first sample: {stall.Reason}, snd_wnd {stall.SndWnd}");
        Assert.Contains(samples, s => On(s, stalled) && s.Reason.HasFlag(EmitReason.ZeroWindowLeave));
    }
}
