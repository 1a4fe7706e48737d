using System.Net;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Tests.Snapshot;

/// <summary>The rsync client of the first incident as the tcp iterator shows it: zero send window, persist timer, snd_wl1 wrapped.</summary>
internal static class SnapshotSockets
{
    public const ulong Second = 1_000_000_000;
    public const ulong Now = 20_000 * Second;

    public static SnapshotSocket ZeroWindowClient() => new()
    {
        TimestampNs = Now,
        Cookie = 42,
        Inode = 9001,
        Pid = 4242,
        Comm = "rsync",
        Endpoints = Endpoints.FromAddresses(IPAddress.Parse("2001:db8::1"), 51234, IPAddress.Parse("2001:db8::2"), 873),
        State = TcpState.Established,
        SndUna = 4212361596,
        SndNxt = 4212361596,
        WriteSeq = 4212361596 + 392827,
        SndWnd = 0,
        SndWl1 = 1253000000,
        RcvNxt = 1253278418,
        RcvWup = 1253278418,
        CopiedSeq = 1253278418,
        RcvWnd = 1_770_000,
        BytesReceived = 100439119971,
        BytesAcked = 22924107,
        SndWscale = 7,
        RcvWscale = 7,
        Pending = PendingTimer.Persist,
        Timer = SnapshotTimer.Persist,
        TimerInNs = (long)(116 * Second),
        Backoff = 15,
        LastSendAgoNs = (4 * 3600 + 31 * 60) * Second,
        LastReceiveAgoNs = 4 * Second,
        LastAckAgoNs = 4 * Second,
    };
}
