using System.Text.Json;
using Tracer.Analysis.Overhead;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Findings;

/// <summary>Writes a finding as one flat JSON object with snake_case fields.</summary>
public static class FindingJson
{
    public static void Write(Utf8JsonWriter w, Finding f)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(f);
        w.WriteStartObject();
        w.WriteString("kind", f.Kind);
        w.WriteString("severity", SeverityName(f.Severity));
        w.WriteNumber("ts_ns", f.TimestampNs);
        w.WriteNumber("cookie", f.Cookie);
        w.WriteNumber("pid", f.Pid);
        w.WriteString("comm", f.Comm);
        EndpointJson.Write(w, f.Endpoints);
        w.WriteBoolean("possibly_incomplete", f.PossiblyIncomplete);
        w.WriteNumber("lost_samples", f.LostSamples);
        switch (f)
        {
            case OverheadStepFinding step:
                w.WriteString("from", LevelName(step.From));
                w.WriteString("to", LevelName(step.To));
                w.WriteNumber("samples_per_second", Math.Round(step.SamplesPerSecond, 1));
                w.WriteNumber("dropped", step.Dropped);
                w.WriteNumber("budget_per_second", step.BudgetPerSecond);
                break;
            case Wl1LagFinding lag:
                w.WriteNumber("wl1_lag_bytes", lag.Wl1LagBytes);
                w.WriteNumber("threshold_bytes", lag.ThresholdBytes);
                w.WriteNumber("snd_wl1", lag.SndWl1);
                w.WriteNumber("seg_seq", lag.SegSeq);
                w.WriteNumber("rcv_nxt", lag.RcvNxt);
                w.WriteNumber("wrap_distance", lag.WrapDistance);
                break;
            case WindowUpdateIgnoredFinding ig:
                w.WriteNumber("seg_seq", ig.SegSeq);
                w.WriteNumber("snd_wl1", ig.SndWl1);
                w.WriteNumber("seg_ack", ig.SegAck);
                w.WriteNumber("snd_una", ig.SndUna);
                w.WriteNumber("seg_win", ig.SegWin);
                w.WriteNumber("snd_wscale", ig.SndWscale);
                w.WriteNumber("nwin", ig.Nwin);
                w.WriteNumber("snd_wnd", ig.SndWnd);
                w.WriteNumber("wl1_lag_bytes", ig.Wl1LagBytes);
                w.WriteNumber("wrap_distance", ig.WrapDistance);
                w.WriteString("cause", CauseName(ig.Cause));
                break;
            case ZeroWindowStartFinding start:
                w.WriteString("trigger", start.Trigger == ZeroWindowTrigger.WindowClosed ? "window_closed" : "data_queued");
                w.WriteNumber("zero_since_ts_ns", start.ZeroSinceNs);
                w.WriteBoolean("duration_is_lower_bound", start.DurationIsLowerBound);
                w.WriteNumber("snd_una", start.SndUna);
                w.WriteNumber("snd_nxt", start.SndNxt);
                w.WriteNumber("unsent", start.Unsent);
                break;
            case ZeroWindowEndFinding end:
                WriteEpisode(w, end.Episode);
                w.WriteNumber("new_window", end.NewWindow);
                break;
            case ZeroWindowOpenFinding open:
                WriteEpisode(w, open.Episode);
                w.WriteBoolean("stuck", open.Stuck);
                w.WriteString("tracking_end", open.End switch
                {
                    TrackingEnd.IdleEviction => "idle",
                    TrackingEnd.CapacityEviction => "capacity",
                    _ => "end_of_trace",
                });
                break;
            case StuckFinding stuck:
                w.WriteNumber("zero_since_ts_ns", stuck.ZeroSinceNs);
                w.WriteNumber("duration_ms", stuck.DurationNs / 1_000_000);
                w.WriteBoolean("duration_is_lower_bound", stuck.DurationIsLowerBound);
                w.WriteNumber("seg_seq", stuck.SegSeq);
                w.WriteNumber("snd_wl1", stuck.SndWl1);
                w.WriteNumber("seg_ack", stuck.SegAck);
                w.WriteNumber("snd_una", stuck.SndUna);
                w.WriteNumber("seg_win", stuck.SegWin);
                w.WriteNumber("snd_wscale", stuck.SndWscale);
                w.WriteNumber("nwin", stuck.Nwin);
                w.WriteNumber("unsent", stuck.Unsent);
                w.WriteNumber("wl1_lag_bytes", stuck.Wl1LagBytes);
                w.WriteNumber("wrap_distance", stuck.WrapDistance);
                w.WriteString("cause", CauseName(stuck.Cause));
                break;
            default:
                throw new ArgumentException($"no JSON shape for finding {f.GetType().Name}", nameof(f));
        }

        w.WriteString("message", f.Message);
        w.WriteEndObject();
    }

    public static string SeverityName(Severity severity) => severity switch
    {
        Severity.Critical => "critical",
        Severity.Warning => "warning",
        _ => "info",
    };

    public static string CauseName(IgnoreCause cause) => cause == IgnoreCause.Wl1Wrapped ? "wl1_wrapped" : "stale_segment";

    private static void WriteEpisode(Utf8JsonWriter w, in EpisodeSummary e)
    {
        w.WriteNumber("zero_since_ts_ns", e.ZeroSinceNs);
        w.WriteNumber("duration_ms", e.DurationNs / 1_000_000);
        w.WriteBoolean("duration_is_lower_bound", e.DurationIsLowerBound);
        w.WriteNumber("probes_out_max", e.MaxProbesOut);
        w.WriteNumber("backoff_max", e.MaxBackoff);
        w.WriteStartArray("advertised_windows");
        foreach (var window in e.AdvertisedWindows)
        {
            w.WriteNumberValue(window);
        }

        w.WriteEndArray();
        w.WriteNumber("advertised_window_max", e.MaxAdvertisedWindow);
        w.WriteNumber("ignored_updates", e.IgnoredUpdates);
    }

    public static string LevelName(DetailLevel level) => level == DetailLevel.Full ? "full" : "verdict";
}
