using System.Diagnostics;
using System.Runtime.InteropServices;
using Tracer.Interop;

namespace Tracer.Pipeline;

/// <summary>Ends a live command on SIGINT, SIGTERM or after --duration, so it can flush and detach cleanly.</summary>
public sealed class StopSignal : IDisposable
{
    private readonly PosixSignalRegistration sigint;
    private readonly PosixSignalRegistration sigterm;
    private readonly long deadline;
    private volatile bool requested;
    private volatile WaitSet? waits;

    public StopSignal(double? durationSeconds)
    {
        deadline = durationSeconds is { } s ? Stopwatch.GetTimestamp() + (long)(s * Stopwatch.Frequency) : long.MaxValue;
        sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
    }

    public bool IsStopRequested => requested || Stopwatch.GetTimestamp() >= deadline;

    /// <summary>How long to wait in one poll: never past the deadline.</summary>
    public int PollTimeoutMs(int preferred)
    {
        if (deadline == long.MaxValue)
        {
            return preferred;
        }

        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline).TotalMilliseconds;
        return (int)Math.Clamp(left, 0, preferred);
    }

    /// <summary>Wakes <paramref name="set"/> when a stop is requested, until the returned registration is disposed.</summary>
    public IDisposable WakeOn(WaitSet set)
    {
        waits = set;
        return new Registration(this);
    }

    public void Dispose()
    {
        sigint.Dispose();
        sigterm.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true; // keep running until the loop notices, then flush and detach
        requested = true;
        waits?.Wake();
    }

    private sealed class Registration(StopSignal stop) : IDisposable
    {
        public void Dispose() => stop.waits = null;
    }
}
