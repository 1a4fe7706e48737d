using Tracer.Analysis;
using Tracer.Analysis.Tcp;

namespace Tracer.Report;

/// <summary>
/// One connection's send-window state over time, one row per sample: what its charts draw,
/// with the wl1 lag, ignored updates and probes as the analyzer saw them.
/// </summary>
public sealed class ConnectionTrace(ulong cookie, int pid, string comm, Endpoints endpoints, long? wallOffsetNs)
{
    private int ignoredInEpisode;
    private byte probesOut;

    public ulong Cookie { get; } = cookie;

    public int Pid { get; private set; } = pid;

    public string Comm { get; private set; } = comm;

    public Endpoints Endpoints { get; } = endpoints;

    /// <summary>The input's clock offset: Unix nanoseconds = ts_ns + offset; null when the input has none.</summary>
    public long? WallOffsetNs { get; } = wallOffsetNs;

    public List<ulong> TimesNs { get; } = [];

    public List<uint> SndWnd { get; } = [];

    /// <summary>The peer's advertised window, scaled: seg_win &lt;&lt; snd_wscale.</summary>
    public List<ulong> Advertised { get; } = [];

    /// <summary>snd_nxt − snd_una.</summary>
    public List<uint> InFlight { get; } = [];

    public List<uint> Unsent { get; } = [];

    /// <summary>Bytes received since snd_wl1 last moved, from the analyzer.</summary>
    public List<ulong> Wl1Lag { get; } = [];

    /// <summary>Samples whose bigger window the window rule rejected.</summary>
    public List<ulong> IgnoredUpdatesNs { get; } = [];

    /// <summary>Samples where the count of unanswered zero-window probes went up.</summary>
    public List<ulong> ProbesNs { get; } = [];

    public int Count => TimesNs.Count;

    /// <summary>Appends <paramref name="sample"/> with the analyzer's view of its connection right after it.</summary>
    public void Add(in TcpSample sample, in ConnectionView view)
    {
        if (sample.Pid > 0)
        {
            Pid = sample.Pid;
            Comm = sample.Comm;
        }

        TimesNs.Add(sample.TimestampNs);
        SndWnd.Add(sample.SndWnd);
        Advertised.Add(sample.AdvertisedWindow);
        InFlight.Add(unchecked(sample.SndNxt - sample.SndUna));
        Unsent.Add(sample.Unsent);
        Wl1Lag.Add(view.Wl1LagBytes);
        // the analyzer counts ignored updates per episode: a rise, or a new episode that starts with one
        if (view.IgnoredUpdates > ignoredInEpisode || (view.IgnoredUpdates > 0 && view.IgnoredUpdates < ignoredInEpisode))
        {
            IgnoredUpdatesNs.Add(sample.TimestampNs);
        }

        ignoredInEpisode = view.IgnoredUpdates;
        if (sample.ProbesOut > probesOut)
        {
            ProbesNs.Add(sample.TimestampNs);
        }

        probesOut = sample.ProbesOut;
    }
}
