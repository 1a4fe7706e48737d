using Tracer.Analysis.Findings;

namespace Tracer.Analysis.Tcp;

/// <summary>Where a tracked connection's send window stands.</summary>
public enum WindowState : byte
{
    /// <summary>The send window is not 0.</summary>
    Open = 0,

    /// <summary>The send window is 0 but nothing waits to be sent.</summary>
    ZeroIdle = 1,

    /// <summary>A zero-window episode: the window is 0 and data waits.</summary>
    ZeroWindow = 2,

    /// <summary>A zero-window episode in which the peer's reopening window was ignored.</summary>
    Stuck = 3,
}

/// <summary>A snapshot of one tracked connection, for a live view.</summary>
/// <param name="SndWnd">The send window after the last observed segment.</param>
/// <param name="Wl1LagBytes">Bytes received since snd_wl1 last moved.</param>
/// <param name="Wl1LagLevel">The highest wl1 lag level reached since snd_wl1 last moved; <see cref="Severity.Info"/> below 1 GiB.</param>
/// <param name="ZeroWindowSinceNs">Since when the send window has been 0; null while it is not.</param>
/// <param name="IgnoredUpdates">Ignored bigger windows in the open episode.</param>
public readonly record struct ConnectionView(
    ulong Cookie,
    int Pid,
    string Comm,
    Endpoints Endpoints,
    ulong SndWnd,
    uint SndWl1,
    ulong Wl1LagBytes,
    Severity Wl1LagLevel,
    WindowState State,
    ulong? ZeroWindowSinceNs,
    byte ProbesOut,
    byte Backoff,
    uint Unsent,
    int IgnoredUpdates,
    ulong FirstSeenNs,
    ulong LastSeenNs,
    long Samples);
