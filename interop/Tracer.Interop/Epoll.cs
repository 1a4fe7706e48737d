using System.Runtime.InteropServices;

namespace Tracer.Interop;

/// <summary>The epoll calls a reader sleeps in (<see cref="WaitSet"/>, <see cref="MappedRingBuffer"/>), each error named with its errno.</summary>
internal static unsafe class Epoll
{
    private const int EpollCloexec = 0x80000;
    private const int EpollCtlAdd = 1;
    private const uint EpollIn = 0x001;
    private const int EventSize = 16; // struct epoll_event: 12 bytes on x86_64 (packed), 16 on arm64

    /// <summary>A new epoll set; <paramref name="what"/> names it in the error.</summary>
    public static BpfFd Create(string what)
    {
        var fd = LibC.epoll_create1(EpollCloexec);
        if (fd < 0)
        {
            throw new BpfException("epoll_create1", Marshal.GetLastPInvokeError(), what);
        }

        return new BpfFd(fd);
    }

    /// <summary>Makes <paramref name="epoll"/> readable when <paramref name="fd"/> is; closing <paramref name="fd"/> removes it.</summary>
    public static void Add(BpfFd epoll, int fd, string what)
    {
        var registration = stackalloc byte[EventSize];
        new Span<byte>(registration, EventSize).Clear();
        *(uint*)registration = EpollIn;
        if (LibC.epoll_ctl(epoll.Fd, EpollCtlAdd, fd, registration) != 0)
        {
            throw new BpfException("epoll_ctl", Marshal.GetLastPInvokeError(), what);
        }
    }

    /// <summary>Sleeps until a descriptor of the set is readable or <paramref name="timeoutMs"/> passes; how many are ready (0 when a signal interrupted the wait).</summary>
    public static int Wait(BpfFd epoll, int maxEvents, int timeoutMs, string what)
    {
        var events = stackalloc byte[maxEvents * EventSize];
        var ready = LibC.epoll_wait(epoll.Fd, events, maxEvents, timeoutMs);
        if (ready >= 0)
        {
            return ready;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == Errno.EINTR ? 0 : throw new BpfException("epoll_wait", errno, what);
    }
}
