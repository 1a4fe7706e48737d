using System.Net;
using Tracer.Analysis;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Tcp;

namespace Tracer.Bench;

/// <summary>
/// A recording of one rsync-like transfer for the report benchmark, deterministic: a sample every
/// 10 ms while data arrives through a fast path that never moves snd_wl1 (the lag passes 1 GiB and
/// 2 GiB), a noisy send window with short zero-window stretches, then a zero window that the peer's
/// reopening windows cannot end (stuck), probed every second.
/// </summary>
internal static class ReportInput
{
    private const ulong Step = 10_000_000;
    private const uint Isn = 1_000_000;
    private const uint SendStart = 4_212_361_596;
    private const uint Unsent = 392_827;

    public static int Write(int samples, string path)
    {
        var start = DateTimeOffset.UtcNow.AddSeconds(-(double)samples * Step / 1e9);
        using var file = File.Create(path);
        // the first sample at monotonic 1 s is the start's wall-clock time
        var offset = (start.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * TimeSpan.NanosecondsPerTick - 1_000_000_000;
        using var writer = new RecordingWriter(file, new RecordingHeader("synthetic", start, offset));
        var random = new Random(19);
        // the lag reaches 2 GiB at 40 % of the samples; the window closes for good at 60 %
        var perSample = (ulong)((2UL << 30) / (samples * 0.4));
        var stuckFrom = (int)(samples * 0.6);
        var endpoints = Endpoints.FromAddresses(IPAddress.Parse("192.168.10.20"), 51034, IPAddress.Parse("192.168.10.5"), 873);
        ulong received = 0;
        byte probes = 0;
        for (var i = 0; i < samples; i++)
        {
            var stuck = i >= stuckFrom;
            var blip = !stuck && i % 20_000 is >= 10_000 and < 10_050;
            received += stuck ? 0 : perSample;
            var window = stuck || blip ? 0u : (uint)random.Next(1 << 20, 3 << 20);
            var inFlight = stuck || blip ? 0u : (uint)random.Next(0, 1 << 16);
            if (stuck && (i - stuckFrom) % 100 == 0)
            {
                probes = (byte)Math.Min(probes + 1, 15);
            }

            writer.Write(new TcpSample
            {
                TimestampNs = (ulong)i * Step + 1_000_000_000,
                Cookie = 24577,
                Pid = 4711,
                Comm = "rsync",
                Endpoints = endpoints,
                SndUna = SendStart,
                SndNxt = SendStart + inFlight,
                SndWnd = window,
                SndWl1 = Isn,
                RcvNxt = unchecked(Isn + (uint)received),
                BytesReceived = received,
                BytesAcked = 1_847_296,
                SegSeq = unchecked(Isn + (uint)received),
                SegAck = SendStart,
                SegWin = stuck ? (ushort)13831 : blip ? (ushort)0 : (ushort)(window >> 7),
                SndWscale = 7,
                ProbesOut = stuck ? probes : (byte)0,
                Backoff = stuck ? probes : (byte)0,
                Pending = stuck ? PendingTimer.Persist : PendingTimer.None,
                Unsent = stuck || blip ? Unsent : (uint)random.Next(0, 1 << 18),
                Reason = EmitReason.Heartbeat,
            });
        }

        return 0;
    }
}
