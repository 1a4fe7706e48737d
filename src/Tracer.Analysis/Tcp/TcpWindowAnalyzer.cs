using System.Runtime.CompilerServices;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Sequence;

namespace Tracer.Analysis.Tcp;

/// <summary>
/// Follows the send window of many connections (keyed by socket cookie) and
/// reports wl1 lag, ignored window updates, zero-window episodes and stuck
/// connections to an <see cref="IFindingSink"/>. Memory is bounded: idle
/// connections are forgotten and at most <see cref="TcpWindowAnalyzerOptions.MaxConnections"/>
/// are tracked. Not thread-safe; a live view reading <see cref="Connections"/>
/// from another thread must share a lock with the thread calling <see cref="Observe"/>.
/// </summary>
public sealed class TcpWindowAnalyzer
{
    public const ulong Wl1LagWarningBytes = 1UL << 30;
    public const ulong Wl1LagCriticalBytes = 1UL << 31;

    private const int None = -1;

    private readonly IFindingSink sink;
    private readonly int maxConnections;
    private readonly ulong idleNs;
    private readonly ulong reportAfterNs;
    private readonly Dictionary<ulong, int> slotByCookie = [];
    private readonly Stack<int> freeSlots = new();
    private Connection[] slots;
    private int used;
    private int newest = None;
    private int oldest = None;
    private int version;

    public TcpWindowAnalyzer(IFindingSink sink, TcpWindowAnalyzerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        options ??= new TcpWindowAnalyzerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConnections, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.IdleTimeout, TimeSpan.Zero, nameof(options));
        this.sink = sink;
        maxConnections = options.MaxConnections;
        idleNs = (ulong)Math.Min(options.IdleTimeout.Ticks, (long)(ulong.MaxValue / TimeSpan.NanosecondsPerTick)) * TimeSpan.NanosecondsPerTick;
        reportAfterNs = (ulong)Math.Max(0, options.ZeroWindowReportAfter.Ticks) * TimeSpan.NanosecondsPerTick;
        slots = new Connection[Math.Min(maxConnections, 256)];
    }

    /// <summary>Zero-window episodes that ended before <see cref="TcpWindowAnalyzerOptions.ZeroWindowReportAfter"/>: counted, not reported.</summary>
    public long ShortEpisodes { get; private set; }

    /// <summary>Connections currently tracked.</summary>
    public int Count => slotByCookie.Count;

    /// <summary>The latest sample timestamp seen: the "now" of a replay, for <see cref="Flush"/>.</summary>
    public ulong LastTimestampNs { get; private set; }

    /// <summary>Tracked connections, most recently seen first. Invalidated by <see cref="Observe"/>.</summary>
    public IEnumerable<ConnectionView> Connections
    {
        get
        {
            var expected = version;
            for (var i = newest; i != None; i = slots[i].Older)
            {
                if (version != expected)
                {
                    throw new InvalidOperationException("the analyzer changed during enumeration");
                }

                yield return View(slots[i]);
            }
        }
    }

    public bool TryGet(ulong cookie, out ConnectionView view)
    {
        if (slotByCookie.TryGetValue(cookie, out var slot))
        {
            view = View(slots[slot]);
            return true;
        }

        view = default;
        return false;
    }

    public void Observe(in TcpSample s)
    {
        LastTimestampNs = Math.Max(LastTimestampNs, s.TimestampNs);
        ExpireIdle(LastTimestampNs);
        var isNew = !slotByCookie.TryGetValue(s.Cookie, out var slot);
        slot = isNew ? Add(s.Cookie) : Touch(slot);
        version++;

        ref var c = ref slots[slot];
        if (isNew || s.Pid != 0)
        {
            c.Pid = s.Pid;
            c.Comm = s.Comm ?? string.Empty;
        }

        c.Endpoints = s.Endpoints;
        c.FirstSeenNs = isNew ? s.TimestampNs : c.FirstSeenNs;
        c.LastSeenNs = Math.Max(c.LastSeenNs, s.TimestampNs);
        c.Samples++;

        c.LostSamples += s.LostBefore;
        var lag = TrackWl1(ref c, s, isNew);
        var mayUpdate = WindowRule.MayUpdateWindow(s);
        var window = mayUpdate ? s.AdvertisedWindow : s.SndWnd;
        var ignored = !mayUpdate && s.AdvertisedWindow > s.SndWnd;
        if (window == 0 && !c.Zero)
        {
            c.Zero = true;
            c.ZeroSinceNs = s.TimestampNs;
            c.DurationIsLowerBound = s.SndWnd == 0;
        }

        var waiting = s.Unsent > 0 || s.SndNxt != s.SndUna;
        if (!c.InEpisode && window == 0 && waiting)
        {
            StartEpisode(ref c, s, s.SndWnd > 0 ? ZeroWindowTrigger.WindowClosed : ZeroWindowTrigger.DataQueued);
        }

        if (c.InEpisode)
        {
            c.EpisodeLost += s.LostBefore;
        }

        if (ignored)
        {
            sink.Emit(new WindowUpdateIgnoredFinding(
                s.TimestampNs, c.Cookie, c.Pid, c.Comm, c.Endpoints,
                s.SegSeq, s.SndWl1, s.SegAck, s.SndUna, s.SegWin, s.SndWscale, s.AdvertisedWindow, s.SndWnd,
                lag, WindowRule.WrapDistance(s), WindowRule.Classify(lag)) { LostSamples = s.LostBefore });
        }

        if (c.InEpisode)
        {
            FollowEpisode(ref c, s, lag, ignored, window);
        }

        c.Zero = window == 0;
        c.Window = window;
        c.ProbesOut = s.ProbesOut;
        c.Backoff = s.Backoff;
        c.Unsent = s.Unsent;
    }

    /// <summary>
    /// Reports the zero-window episodes that have now lasted
    /// <see cref="TcpWindowAnalyzerOptions.ZeroWindowReportAfter"/>: a stalled
    /// connection may send no segment for minutes, so a live loop calls this
    /// periodically with the current CLOCK_MONOTONIC time.
    /// </summary>
    public void Tick(ulong nowNs)
    {
        for (var i = newest; i != None; i = slots[i].Older)
        {
            ReportIfDue(ref slots[i], nowNs);
        }
    }

    /// <summary>Forgets connections idle since before <paramref name="nowNs"/> − idle timeout; for a live view with no traffic.</summary>
    public void ExpireIdle(ulong nowNs)
    {
        while (oldest != None && nowNs - Math.Min(nowNs, slots[oldest].LastSeenNs) > idleNs)
        {
            Evict(oldest, TrackingEnd.IdleEviction, nowNs);
        }
    }

    /// <summary>
    /// Ends the analysis at <paramref name="nowNs"/> (CLOCK_MONOTONIC of the traced
    /// kernel, or <see cref="LastTimestampNs"/> for a replay): every open
    /// zero-window episode is reported as <c>tcp.zero_window.open</c>, oldest
    /// connection first, and all connections are forgotten.
    /// </summary>
    public void Flush(ulong nowNs)
    {
        while (oldest != None)
        {
            Evict(oldest, TrackingEnd.EndOfTrace, nowNs);
        }
    }

    private ulong TrackWl1(ref Connection c, in TcpSample s, bool isNew)
    {
        if (isNew || s.SndWl1 != c.SndWl1)
        {
            c.Wl1Moved |= !isNew;
            c.SndWl1 = s.SndWl1;
            c.Wl1Baseline = s.BytesReceived;
            c.LagLevel = Severity.Info;
        }

        var baseline = s.Wl1MovedAtBytesReceived ?? c.Wl1Baseline;
        var lag = s.BytesReceived > baseline ? s.BytesReceived - baseline : 0;

        // snd_wl1 ahead of rcv_nxt: either it lags by 2 GiB or more (the baseline may postdate
        // that), or an out-of-order segment moved it (tcp_ack_update_window() takes any later
        // seq). Once snd_wl1 was seen to move, the baseline is exact and decides.
        if (!c.Wl1Moved && SeqNum.After(s.SndWl1, s.RcvNxt))
        {
            lag = Math.Max(lag, unchecked(s.RcvNxt - s.SndWl1));
        }

        c.Wl1LagBytes = lag;
        var level = lag >= Wl1LagCriticalBytes ? Severity.Critical
            : lag >= Wl1LagWarningBytes ? Severity.Warning
            : Severity.Info;
        if (level > c.LagLevel)
        {
            c.LagLevel = level;
            sink.Emit(new Wl1LagFinding(
                s.TimestampNs, c.Cookie, c.Pid, c.Comm, c.Endpoints,
                level, lag, level == Severity.Critical ? Wl1LagCriticalBytes : Wl1LagWarningBytes,
                s.SndWl1, s.SegSeq, s.RcvNxt, WindowRule.WrapDistance(s)) { LostSamples = c.LostSamples });
        }

        return lag;
    }

    private void StartEpisode(ref Connection c, in TcpSample s, ZeroWindowTrigger trigger)
    {
        c.InEpisode = true;
        c.Stuck = false;
        c.MaxProbesOut = 0;
        c.MaxBackoff = 0;
        c.WindowCount = 0;
        c.MaxAdvertised = 0;
        c.IgnoredUpdates = 0;
        c.EpisodeLost = 0;
        c.Reported = false;
        c.Start = new ZeroWindowStartFinding(
            s.TimestampNs, c.Cookie, c.Pid, c.Comm, c.Endpoints,
            trigger, c.ZeroSinceNs, c.DurationIsLowerBound, s.SndUna, s.SndNxt, s.Unsent);

        // a window already 0 when first seen has lasted an unknown time: report at once
        if (c.DurationIsLowerBound)
        {
            Report(ref c);
        }
        else
        {
            ReportIfDue(ref c, s.TimestampNs);
        }
    }

    private void ReportIfDue(ref Connection c, ulong nowNs)
    {
        if (c.InEpisode && !c.Reported && Elapsed(c.ZeroSinceNs, nowNs) >= reportAfterNs)
        {
            Report(ref c);
        }
    }

    private void Report(ref Connection c)
    {
        c.Reported = true;
        sink.Emit(c.Start! with { LostSamples = c.EpisodeLost });
        c.Start = null;
    }

    private void FollowEpisode(ref Connection c, in TcpSample s, ulong lag, bool ignored, ulong window)
    {
        ReportIfDue(ref c, s.TimestampNs);
        c.MaxProbesOut = Math.Max(c.MaxProbesOut, s.ProbesOut);
        c.MaxBackoff = Math.Max(c.MaxBackoff, s.Backoff);
        c.MaxAdvertised = Math.Max(c.MaxAdvertised, s.AdvertisedWindow);
        if (c.WindowCount < EpisodeSummary.MaxListedWindows && !((ReadOnlySpan<ulong>)c.Windows)[..c.WindowCount].Contains(s.AdvertisedWindow))
        {
            c.Windows[c.WindowCount++] = s.AdvertisedWindow;
        }

        if (ignored)
        {
            c.IgnoredUpdates++;
        }

        if (ignored && !c.Stuck && s.AdvertisedWindow > 0)
        {
            c.Stuck = true;
            if (!c.Reported)
            {
                Report(ref c);
            }

            sink.Emit(new StuckFinding(
                s.TimestampNs, c.Cookie, c.Pid, c.Comm, c.Endpoints,
                c.ZeroSinceNs, Elapsed(c.ZeroSinceNs, s.TimestampNs), c.DurationIsLowerBound,
                s.SegSeq, s.SndWl1, s.SegAck, s.SndUna, s.SegWin, s.SndWscale, s.AdvertisedWindow, s.Unsent,
                lag, WindowRule.WrapDistance(s), WindowRule.Classify(lag)) { LostSamples = c.EpisodeLost });
        }

        if (window > 0)
        {
            c.InEpisode = false;
            if (c.Reported)
            {
                sink.Emit(new ZeroWindowEndFinding(
                    s.TimestampNs, c.Cookie, c.Pid, c.Comm, c.Endpoints, Summarize(c, s.TimestampNs), window) { LostSamples = c.EpisodeLost });
            }
            else
            {
                ShortEpisodes++;
                c.Start = null;
            }
        }
    }

    private static EpisodeSummary Summarize(in Connection c, ulong nowNs) => new(
        c.ZeroSinceNs,
        Elapsed(c.ZeroSinceNs, nowNs),
        c.DurationIsLowerBound,
        c.MaxProbesOut,
        c.MaxBackoff,
        ((ReadOnlySpan<ulong>)c.Windows)[..c.WindowCount].ToArray(),
        c.MaxAdvertised,
        c.IgnoredUpdates);

    private static ulong Elapsed(ulong fromNs, ulong toNs) => toNs > fromNs ? toNs - fromNs : 0;

    private static ConnectionView View(in Connection c) => new(
        c.Cookie,
        c.Pid,
        c.Comm,
        c.Endpoints,
        c.Window,
        c.SndWl1,
        c.Wl1LagBytes,
        c.LagLevel,
        c.InEpisode ? (c.Stuck ? WindowState.Stuck : WindowState.ZeroWindow) : c.Window == 0 ? WindowState.ZeroIdle : WindowState.Open,
        c.Zero ? c.ZeroSinceNs : null,
        c.ProbesOut,
        c.Backoff,
        c.Unsent,
        c.InEpisode ? c.IgnoredUpdates : 0,
        c.FirstSeenNs,
        c.LastSeenNs,
        c.Samples);

    private int Add(ulong cookie)
    {
        if (slotByCookie.Count >= maxConnections)
        {
            Evict(oldest, TrackingEnd.CapacityEviction, LastTimestampNs);
        }

        int slot;
        if (freeSlots.Count > 0)
        {
            slot = freeSlots.Pop();
        }
        else
        {
            if (used == slots.Length)
            {
                Array.Resize(ref slots, Math.Min(maxConnections, slots.Length * 2));
            }

            slot = used++;
        }

        slots[slot] = new Connection { Cookie = cookie, Newer = None, Older = None };
        slotByCookie.Add(cookie, slot);
        LinkNewest(slot);
        return slot;
    }

    private int Touch(int slot)
    {
        if (slot != newest)
        {
            Unlink(slot);
            LinkNewest(slot);
        }

        return slot;
    }

    private void Evict(int slot, TrackingEnd why, ulong nowNs)
    {
        version++;
        ref var c = ref slots[slot];
        ReportIfDue(ref c, nowNs);
        if (c.InEpisode && !c.Reported)
        {
            ShortEpisodes++;
        }
        else if (c.InEpisode)
        {
            sink.Emit(new ZeroWindowOpenFinding(
                Math.Max(nowNs, c.LastSeenNs), c.Cookie, c.Pid, c.Comm, c.Endpoints, Summarize(c, nowNs), c.Stuck, why) { LostSamples = c.EpisodeLost });
        }

        Unlink(slot);
        slotByCookie.Remove(c.Cookie);
        c = default;
        freeSlots.Push(slot);
    }

    private void LinkNewest(int slot)
    {
        slots[slot].Older = newest;
        slots[slot].Newer = None;
        if (newest != None)
        {
            slots[newest].Newer = slot;
        }

        newest = slot;
        if (oldest == None)
        {
            oldest = slot;
        }
    }

    private void Unlink(int slot)
    {
        ref var c = ref slots[slot];
        if (c.Newer != None)
        {
            slots[c.Newer].Older = c.Older;
        }
        else
        {
            newest = c.Older;
        }

        if (c.Older != None)
        {
            slots[c.Older].Newer = c.Newer;
        }
        else
        {
            oldest = c.Newer;
        }
    }

    [InlineArray(EpisodeSummary.MaxListedWindows)]
    private struct WindowList
    {
        private ulong first;
    }

    private struct Connection
    {
        public ulong Cookie;
        public int Pid;
        public string Comm;
        public Endpoints Endpoints;
        public ulong FirstSeenNs;
        public ulong LastSeenNs;
        public long Samples;
        public ulong LostSamples;
        public ulong EpisodeLost;
        public ulong Window;
        public byte ProbesOut;
        public byte Backoff;
        public uint Unsent;

        public uint SndWl1;
        public ulong Wl1Baseline;

        /// <summary>snd_wl1 changed between two samples: the lag since is counted exactly from the baseline.</summary>
        public bool Wl1Moved;
        public ulong Wl1LagBytes;
        public Severity LagLevel;

        public bool Zero;
        public ulong ZeroSinceNs;
        public bool DurationIsLowerBound;

        public bool InEpisode;
        public bool Reported;
        public ZeroWindowStartFinding? Start;
        public bool Stuck;
        public byte MaxProbesOut;
        public byte MaxBackoff;
        public ulong MaxAdvertised;
        public int IgnoredUpdates;
        public int WindowCount;
        public WindowList Windows;

        public int Newer;
        public int Older;
    }
}
