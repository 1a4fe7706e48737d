using System.Net;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Tests;

/// <summary>
/// A healthy receive of about 3.6 GB over loopback, seen through 1 s heartbeats,
/// followed by a short zero-window stretch while the receiver has data of its own
/// to send, and the reopening. Deterministic; Fixtures/bulk-synthetic.jsonl is its output.
/// </summary>
internal static class SyntheticBulkTransfer
{
    private const ulong Second = 1_000_000_000;
    private const ulong Start = 50_000 * Second;
    private const ulong BytesPerSecond = 117_187_500;
    private const uint Segment = 65160;
    private const uint ReceiveIsn = 3_000_000_000;
    private const uint SendStart = 100_000;
    private const uint PeerWindow = 3 << 20;
    private const ushort PeerWindowRaw = (ushort)(PeerWindow >> 7);
    private const uint Queued = 4 << 20;

    public static List<TcpSample> Generate()
    {
        var first = new TcpSample
        {
            Cookie = 0x5EED,
            Pid = 2000,
            Comm = "bulk-recv",
            Endpoints = Endpoints.FromAddresses(IPAddress.Loopback, 5201, IPAddress.Loopback, 43522),
            SndUna = SendStart,
            SndNxt = SendStart,
            SndWnd = PeerWindow,
            SegAck = SendStart,
            SegWin = PeerWindowRaw,
            SndWscale = 7,
            Reason = EmitReason.Heartbeat,
        };
        var samples = new List<TcpSample>();

        // Data segments: snd_wl1 is the previous segment's sequence, as the fixed kernel keeps it.
        for (ulong i = 0; i <= 30; i++)
        {
            samples.Add(Data(first, Start + (i * Second) + (i * 1_300_000), Segment + (i * BytesPerSecond)) with
            {
                Reason = i == 0 ? EmitReason.First | EmitReason.Heartbeat : EmitReason.Heartbeat,
            });
        }

        // The receiver writes 4 MiB; 3 MiB go out at once, 1 MiB waits.
        var received = Segment + (30 * BytesPerSecond) + (BytesPerSecond / 2);
        samples.Add(Data(first, Start + (30 * Second) + (500 * 1_000_000), received) with
        {
            SndNxt = SendStart + PeerWindow,
            Unsent = Queued - PeerWindow,
        });

        // The peer acknowledges the 3 MiB and closes its window: a pure ACK after the last data segment.
        received += Segment;
        var sent = SendStart + PeerWindow;
        var pureAck = Data(first, Start + (30 * Second) + (530 * 1_000_000), received) with
        {
            SndWl1 = Sequence(received - Segment),
            SndNxt = sent,
            Unsent = Queued - PeerWindow,
            SegAck = sent,
            SegWin = 0,
            Reason = EmitReason.ZeroWindowEnter,
        };
        samples.Add(pureAck);

        // Persist probes, answered with window 0; the fixed kernel keeps snd_wl1 at the ACK's sequence.
        var waiting = pureAck with
        {
            SndUna = sent,
            SndWnd = 0,
            SndWl1 = pureAck.SegSeq,
            BytesAcked = PeerWindow,
            ProbesOut = 1,
            Pending = PendingTimer.Persist,
            Reason = EmitReason.Probes,
        };
        ulong[] probeMs = [30_731, 31_131, 31_931, 33_531];
        for (var k = 0; k < probeMs.Length; k++)
        {
            samples.Add(waiting with { TimestampNs = Start + (probeMs[k] * 1_000_000), Backoff = (byte)(k + 1) });
        }

        // The peer reopens its window; the 1 MiB goes out and is acknowledged.
        samples.Add(waiting with
        {
            TimestampNs = Start + (40 * Second),
            SegWin = PeerWindowRaw,
            Backoff = 5,
            Reason = EmitReason.ZeroWindowLeave,
        });
        samples.Add(waiting with
        {
            TimestampNs = Start + (40 * Second) + (50 * 1_000_000),
            SndNxt = sent + (Queued - PeerWindow),
            SndWnd = PeerWindow,
            Unsent = 0,
            SegAck = sent + (Queued - PeerWindow),
            SegWin = PeerWindowRaw,
            ProbesOut = 0,
            Backoff = 0,
            Pending = PendingTimer.Retransmit,
            Reason = EmitReason.EverySegment,
        });
        samples.Add(samples[^1] with
        {
            TimestampNs = Start + (41 * Second),
            SndUna = sent + (Queued - PeerWindow),
            BytesAcked = Queued,
            Pending = PendingTimer.None,
            Reason = EmitReason.Heartbeat,
        });
        return samples;
    }

    /// <summary>A data segment arriving in order after <paramref name="received"/> bytes.</summary>
    private static TcpSample Data(TcpSample connection, ulong timestampNs, ulong received) => connection with
    {
        TimestampNs = timestampNs,
        BytesReceived = received,
        RcvNxt = Sequence(received),
        SegSeq = Sequence(received),
        SndWl1 = Sequence(received - Segment),
    };

    private static uint Sequence(ulong received) => unchecked(ReceiveIsn + (uint)received);
}
