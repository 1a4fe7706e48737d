using System.Globalization;
using System.Text;
using Tracer.Analysis.Formatting;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Findings;

/// <summary>Wording shared by the findings' messages.</summary>
internal static class Explain
{
    public const string FastPathBug = "Linux fast-path bug fixed by 18ded910b589";

    public static string Window(ulong nwin, ushort segWin, byte wscale) =>
        string.Create(CultureInfo.InvariantCulture, $"{Human.Bytes(nwin)} ({segWin}<<{wscale})");

    public static string Ignore(IgnoreCause cause, ulong wl1LagBytes, uint segSeq, uint sndWl1, int wrapDistance) =>
        cause == IgnoreCause.Wl1Wrapped
            ? $"snd_wl1 lags the peer's sequence by {Human.Bytes(wl1LagBytes)} (≥ 2 GiB, wrapped); {FastPathBug}"
            : string.Create(
                CultureInfo.InvariantCulture,
                $"the segment is older than the last window update: seg_seq {segSeq} is {Human.Bytes((ulong)-(long)wrapDistance)} behind snd_wl1 {sndWl1}, "
                + $"a retransmitted or reordered segment (snd_wl1 lag {Human.Bytes(wl1LagBytes)} < 2 GiB, not the fast-path bug)");

    public static string Duration(ulong durationNs, bool isLowerBound) =>
        (isLowerBound ? "at least " : "") + Human.Duration(durationNs);

    public static string TrackingEnd(Findings.TrackingEnd end) => end switch
    {
        Findings.TrackingEnd.IdleEviction => "when the idle connection was forgotten",
        Findings.TrackingEnd.CapacityEviction => "when the connection was evicted to make room",
        _ => "at the end of the trace",
    };

    public static string Summary(in EpisodeSummary e)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"max probes_out {e.MaxProbesOut}, max backoff {e.MaxBackoff}; peer advertised ");
        for (var i = 0; i < e.AdvertisedWindows.Count; i++)
        {
            text.Append(i == 0 ? "" : ", ").Append(Human.Bytes(e.AdvertisedWindows[i]));
        }

        if (e.AdvertisedWindows.Count == 0)
        {
            text.Append("nothing");
        }

        text.Append(CultureInfo.InvariantCulture, $"; {e.IgnoredUpdates} window update(s) ignored");
        return text.ToString();
    }
}
