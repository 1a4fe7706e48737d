using System.Text.Json;
using Tracer.Analysis;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Formatting;
using Tracer.Analysis.Tcp;

namespace Tracer.Output;

/// <summary>A snapshot socket as one flat JSON object, <c>kind</c> "tcp.socket", with its verdict.</summary>
public static class SnapshotJson
{
    public const string Kind = "tcp.socket";

    public static void Write(Utf8JsonWriter w, SnapshotSocket s, SnapshotVerdict verdict, Func<ulong, DateTime> wallClock)
    {
        ArgumentNullException.ThrowIfNull(wallClock);
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(verdict);
        w.WriteStartObject();
        w.WriteString("kind", Kind);
        w.WriteNumber("ts_ns", s.TimestampNs);
        w.WriteString(Timestamps.JsonField, Timestamps.Rfc3339(wallClock(s.TimestampNs)));
        w.WriteNumber("cookie", s.Cookie);
        w.WriteNumber("inode", s.Inode);
        w.WriteNumber("pid", s.Pid);
        w.WriteString("comm", s.Comm);
        w.WriteNumber("uid", s.Uid);
        EndpointJson.Write(w, s.Endpoints);
        w.WriteString("state", SnapshotVerdict.StateName(s.State));
        w.WriteNumber("snd_una", s.SndUna);
        w.WriteNumber("snd_nxt", s.SndNxt);
        w.WriteNumber("snd_wl1", s.SndWl1);
        w.WriteNumber("rcv_nxt", s.RcvNxt);
        w.WriteNumber("rcv_wup", s.RcvWup);
        w.WriteNumber("copied_seq", s.CopiedSeq);
        w.WriteNumber("write_seq", s.WriteSeq);
        w.WriteNumber("snd_wnd", s.SndWnd);
        w.WriteNumber("rcv_wnd", s.RcvWnd);
        w.WriteNumber("rcv_wnd_left", s.ReceiveWindowLeft);
        w.WriteNumber("snd_wscale", s.SndWscale);
        w.WriteNumber("rcv_wscale", s.RcvWscale);
        w.WriteNumber("snd_cwnd", s.SndCwnd);
        w.WriteNumber("bytes_received", s.BytesReceived);
        w.WriteNumber("bytes_acked", s.BytesAcked);
        w.WriteNumber("unsent", s.Unsent);
        w.WriteNumber("unacked", s.Unacked);
        w.WriteNumber("unread", s.Unread);
        w.WriteNumber("packets_out", s.PacketsOut);
        w.WriteNumber("retransmits", s.Retransmits);
        w.WriteNumber("total_retrans", s.TotalRetrans);
        w.WriteString("timer", SnapshotVerdict.TimerName(s.Timer));
        w.WriteNumber("timer_in_ms", s.TimerInNs / 1_000_000);
        w.WriteNumber("probes_out", s.ProbesOut);
        w.WriteNumber("backoff", s.Backoff);
        w.WriteNumber("last_send_ms", s.LastSendAgoNs / 1_000_000);
        w.WriteNumber("last_recv_ms", s.LastReceiveAgoNs / 1_000_000);
        w.WriteNumber("last_ack_ms", s.LastAckAgoNs / 1_000_000);
        w.WriteNumber("wl1_lag_bytes", s.Wl1Lag);
        w.WriteBoolean("wl1_wrapped", s.Wl1Wrapped);
        w.WriteString("problem", ProblemName(verdict.Problem));
        w.WriteString("severity", verdict.Severity.Spelling());
        w.WriteString("message", verdict.Message);
        w.WriteEndObject();
    }

    public static string ProblemName(SnapshotProblem problem) => problem switch
    {
        SnapshotProblem.Stuck => "stuck",
        SnapshotProblem.ZeroWindow => "zero_window",
        SnapshotProblem.ReceiverNotReading => "receiver_not_reading",
        SnapshotProblem.Retransmitting => "retransmitting",
        SnapshotProblem.Wl1Lag => "wl1_lag",
        SnapshotProblem.Unread => "unread",
        _ => "none",
    };
}
