using System.Runtime.InteropServices;

namespace Tracer.Interop;

/// <summary>
/// What a reader sleeps on: the descriptors of its event sources (a ring buffer's map, a perf
/// buffer's epoll set) in one epoll set, and an eventfd that <see cref="Wake"/> sets from any thread.
/// A reader that waits here wakes when a source has records or it is told to stop, not on a timer.
/// </summary>
public sealed unsafe class WaitSet : IDisposable
{
    private const int EfdCloexec = 0x80000;
    private const int EfdNonblock = 0x800;
    private const int MaxEvents = 8;

    private readonly BpfFd epoll;
    private readonly BpfFd wake;

    public WaitSet()
    {
        epoll = Epoll.Create("wait set");
        var fd = LibC.eventfd(0, EfdCloexec | EfdNonblock);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            epoll.Dispose();
            throw new BpfException("eventfd", errno, "wait set");
        }

        wake = new BpfFd(fd);
        try
        {
            Add(wake.Fd, "wake-up eventfd");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Wakes <see cref="Wait"/> when <paramref name="fd"/> becomes readable; closing the descriptor removes it.</summary>
    public void Add(int fd, string what) => Epoll.Add(epoll, fd, what);

    /// <summary>Ends the current or next <see cref="Wait"/> at once; safe from any thread, also once the set is disposed.</summary>
    public void Wake()
    {
        var held = false;
        try
        {
            wake.DangerousAddRef(ref held); // the descriptor stays open (not reused) while it is written
            ulong one = 1;
            // EAGAIN: the counter is already set, the waiter wakes anyway
            _ = LibC.write(wake.Fd, (byte*)&one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // the waiter is gone: nothing to wake
        }
        finally
        {
            if (held)
            {
                wake.DangerousRelease();
            }
        }
    }

    /// <summary>Sleeps until a descriptor is readable, <see cref="Wake"/> is called, or <paramref name="timeoutMs"/> passes (0: only looks).</summary>
    public void Wait(int timeoutMs)
    {
        if (Epoll.Wait(epoll, MaxEvents, timeoutMs, "wait set") > 0)
        {
            ulong count;
            _ = LibC.read(wake.Fd, (byte*)&count, sizeof(ulong)); // clears the wake-up; EAGAIN when another source woke us
        }
    }

    public void Dispose()
    {
        wake.Dispose();
        epoll.Dispose();
    }
}
