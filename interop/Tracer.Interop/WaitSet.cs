using System.Runtime.InteropServices;

namespace Tracer.Interop;

/// <summary>
/// What a reader sleeps on: the descriptors of its event sources (a ring buffer's map, a perf
/// buffer's epoll set) in one epoll set, and an eventfd that <see cref="Wake"/> sets from any thread.
/// A reader that waits here wakes when a source has records or it is told to stop, not on a timer.
/// </summary>
public sealed unsafe class WaitSet : IDisposable
{
    private const int EpollCloexec = 0x80000;
    private const int EpollCtlAdd = 1;
    private const uint EpollIn = 0x001;
    private const int EfdCloexec = 0x80000;
    private const int EfdNonblock = 0x800;
    private const int MaxEvents = 8;
    private const int EventSize = 16; // struct epoll_event: 12 bytes on x86_64 (packed), 16 on arm64

    private readonly BpfFd epoll;
    private readonly BpfFd wake;

    public WaitSet()
    {
        var fd = LibC.epoll_create1(EpollCloexec);
        if (fd < 0)
        {
            throw new BpfException("epoll_create1", Marshal.GetLastPInvokeError(), "wait set");
        }

        epoll = new BpfFd(fd);
        fd = LibC.eventfd(0, EfdCloexec | EfdNonblock);
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
    public void Add(int fd, string what)
    {
        var registration = stackalloc byte[EventSize];
        new Span<byte>(registration, EventSize).Clear();
        *(uint*)registration = EpollIn;
        if (LibC.epoll_ctl(epoll.Fd, EpollCtlAdd, fd, registration) != 0)
        {
            throw new BpfException("epoll_ctl", Marshal.GetLastPInvokeError(), what);
        }
    }

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
        var events = stackalloc byte[MaxEvents * EventSize];
        var ready = LibC.epoll_wait(epoll.Fd, events, MaxEvents, timeoutMs);
        if (ready < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                throw new BpfException("epoll_wait", errno, "wait set");
            }
        }
        else if (ready > 0)
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
