using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tracer.Interop.Tests;

/// <summary>The engine sleeps on a wait set: a readable source or a stop wakes it, nothing else does.</summary>
public sealed class WaitSetTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(20);

    [Fact]
    public void AWakeFromAnotherThreadEndsALongWait()
    {
        using var waits = new WaitSet();
        var waiting = LongWait(waits);
        Thread.Sleep(100);
        waits.Wake();
        Assert.True(waiting.Join(Hang), "Wake did not end the wait");
    }

    [Fact]
    public void AWakeBeforeTheWaitIsNotLostAndIsClearedByIt()
    {
        using var waits = new WaitSet();
        waits.Wake();
        waits.Wake(); // several wake-ups before a wait are one
        Assert.True(LongWait(waits).Join(Hang), "a wake-up set before the wait was lost");

        var clock = Stopwatch.StartNew();
        waits.Wait(200);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(150), $"the wake-up was still set: the next wait returned after {clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public void AReadableDescriptorEndsTheWait()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using var server = listener.Accept();
        using var waits = new WaitSet();
        waits.Add((int)server.Handle, "test socket");

        var clock = Stopwatch.StartNew();
        waits.Wait(200);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(150), "the wait ended with nothing to read");

        var waiting = LongWait(waits);
        client.Send([1]);
        Assert.True(waiting.Join(Hang), "a readable descriptor did not end the wait");
    }

    [Fact]
    public void AWakeAfterDisposeIsHarmless()
    {
        var waits = new WaitSet();
        waits.Dispose();
        waits.Wake(); // a stop signal may arrive as the engine ends
    }

    [Fact]
    public void AddingAClosedDescriptorNamesTheCallAndErrno()
    {
        using var waits = new WaitSet();
        var e = Assert.Throws<BpfException>(() => waits.Add(int.MaxValue, "a closed descriptor"));
        Assert.Contains("epoll_ctl", e.Message, StringComparison.Ordinal);
        Assert.Contains("EBADF", e.Message, StringComparison.Ordinal);
        Assert.Contains("a closed descriptor", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A minute's wait on its own thread (a background one: a failing test does not hang the run).</summary>
    private static Thread LongWait(WaitSet waits)
    {
        var thread = new Thread(() => waits.Wait(60_000)) { IsBackground = true };
        thread.Start();
        return thread;
    }
}
