using System.Globalization;
using System.Text.Json;
using Tracer.Analysis.DataPath;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Formatting;
using Tracer.Analysis.Tcp;
using Tracer.Bpf.Snapshot;
using Tracer.Pipeline;

namespace Tracer.Output;

/// <summary>
/// The snapshot part of <c>tracer attach</c>: one block per connection with a
/// problem, the worst first, then one line per healthy socket; or, with --json,
/// one <c>tcp.socket</c> object per socket in the same order.
/// </summary>
public static class AttachReport
{
    public static void WriteText(TextWriter w, AttachSnapshot attach)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(attach);
        var (target, processes, snapshot, judged, _) = attach;
        var problems = judged.Count(j => j.Verdict.Problem > SnapshotProblem.Unread);
        var c = CultureInfo.InvariantCulture;
        var walk = attach.Path is { } walked ? string.Create(c, $", data path walk {walked.WalkTime.TotalMilliseconds:F1} ms ({walked.WalkMethod})") : "";
        w.WriteLine(string.Create(c,
            $"tracer attach {target}: {judged.Count} TCP socket(s){Owners(processes)}; {problems} with a problem "
            + $"(snapshot: load {snapshot.LoadTime.TotalMilliseconds:F0} ms, iterate {snapshot.ReadTime.TotalMilliseconds:F1} ms{walk})"));
        if (attach.Path is { } path)
        {
            PathReport.WriteText(w, path.Graph, path.Verdict);
        }

        foreach (var j in judged)
        {
            if (j.Verdict.Problem > SnapshotProblem.Unread)
            {
                WriteBlock(w, j);
            }
            else
            {
                w.WriteLine($"  ok  {Owner(j.Socket)}  {j.Socket.Endpoints}  {SnapshotVerdict.StateName(j.Socket.State)}  {j.Verdict.Message}");
            }
        }

        w.Flush();
    }

    public static void WriteJson(Stream stream, AttachSnapshot attach)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(attach);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        foreach (var j in attach.Judged)
        {
            SnapshotJson.Write(json, j.Socket, j.Verdict, Clock.ToWallClock);
            json.Flush();
            json.Reset();
            stream.WriteByte((byte)'\n');
        }

        if (attach.Path is { } path)
        {
            PathReport.WriteJson(json, path.Graph, path.Verdict);
            json.Flush();
            stream.WriteByte((byte)'\n');
        }

        stream.Flush();
    }

    /// <summary>The last line of <c>--json</c>: <c>kind</c> "attach.verdict".</summary>
    public static void WriteVerdictJson(Stream stream, AttachResult result)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(result);
        var (outcome, _, watched) = result;
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("kind", "attach.verdict");
            WriteNow(json);
            json.WriteString("verdict", result.IsStuck ? "stuck"
                : outcome.Verdict == AttachVerdict.Recovered ? "recovered"
                : result.Path?.Moved == true ? "moving"
                : result.Path?.Verdict.State == PathState.Waiting ? "unsettled"
                : outcome.Verdict switch
                {
                    AttachVerdict.Unsettled => "unsettled",
                    AttachVerdict.Recovered => "recovered",
                    _ => "normal",
                });
            json.WriteNumber("stuck", outcome.StuckConnections.Count);
            json.WriteNumber("waiting", outcome.Waiting.Count);
            json.WriteNumber("watched_ms", (long)watched.TotalMilliseconds);
            json.WriteString("message", result.Summary);
            json.WriteEndObject();
        }

        stream.WriteByte((byte)'\n');
        stream.Flush();
    }

    /// <summary>What the always-on <c>tracer run</c> recorded about the port lately (its listener resets), from its data directory.</summary>
    public static void WriteRecentText(TextWriter w, ushort port, string dataDirectory, TimeSpan within, IReadOnlyList<(DateTime Utc, string Message)> recent)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(recent);
        if (recent.Count == 0)
        {
            return;
        }

        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"recent listener resets on port {port} (tracer run's records in {dataDirectory}, last {Human.Duration(within)}):"));
        foreach (var (utc, message) in recent)
        {
            w.WriteLine($"  {Timestamps.Clock(utc)}  {message}");
        }
    }

    /// <summary>One <c>attach.recent_listener_reset</c> line per recorded listener reset of the port.</summary>
    public static void WriteRecentJson(Stream stream, ushort port, IReadOnlyList<(DateTime Utc, string Message)> recent)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(recent);
        foreach (var (utc, message) in recent)
        {
            using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                json.WriteStartObject();
                json.WriteString("kind", "attach.recent_listener_reset");
                json.WriteString(Timestamps.JsonField, Timestamps.Rfc3339(utc));
                json.WriteNumber("port", port);
                json.WriteString("message", message);
                json.WriteEndObject();
            }

            stream.WriteByte((byte)'\n');
        }

        stream.Flush();
    }

    /// <summary>The line before the live phase: what it watches, and until when.</summary>
    public static string WatchLine(LiveWatch watch, double timeoutSeconds)
    {
        var c = CultureInfo.InvariantCulture;
        var zero = string.Create(c, $"{watch.ZeroWindowConnections} zero-window connection(s) until the peer answers");
        var path = string.Create(c, $"the data path's {watch.PathConnections} TCP connection(s) until bytes move");
        var what = watch.PathConnections == 0 ? zero : watch.ZeroWindowConnections == 0 ? path : $"{zero}; {path}";
        return string.Create(c, $"watching live: {what} (timeout {timeoutSeconds}s, Ctrl-C to stop) …");
    }

    /// <summary>ts_ns and time of a line about the present (the path, the verdict): when it was written.</summary>
    internal static void WriteNow(Utf8JsonWriter json)
    {
        var now = Clock.MonotonicNowNsUnsigned;
        json.WriteNumber("ts_ns", now);
        json.WriteString(Timestamps.JsonField, Timestamps.Rfc3339(Clock.ToWallClock(now)));
    }

    private static void WriteBlock(TextWriter w, JudgedSocket j)
    {
        var s = j.Socket;
        var c = CultureInfo.InvariantCulture;
        w.WriteLine();
        w.WriteLine($"{Headline(j.Verdict)}  {Owner(s)}  {s.Endpoints}  {SnapshotVerdict.StateName(s.State)}");
        w.WriteLine($"  {j.Verdict.Message}");
        w.WriteLine(string.Create(c, $"  seq      snd_una {s.SndUna}  snd_nxt {s.SndNxt}  snd_wl1 {s.SndWl1}  rcv_nxt {s.RcvNxt}  (wl1 lag {Human.Bytes(s.Wl1Lag)})"));
        w.WriteLine(string.Create(c,
            $"  window   snd_wnd {Human.Bytes(s.SndWnd)} (wscale {s.SndWscale})  rcv_wnd {Human.Bytes(s.RcvWnd)} (wscale {s.RcvWscale}, {Human.Bytes(s.ReceiveWindowLeft)} left)  cwnd {s.SndCwnd}"));
        w.WriteLine($"  bytes    acked {Human.Bytes(s.BytesAcked)}  received {Human.Bytes(s.BytesReceived)}  unsent {Human.Bytes(s.Unsent)}  in flight {Human.Bytes(s.Unacked)}  unread {Human.Bytes(s.Unread)}");
        w.WriteLine(string.Create(c,
            $"  timer    {SnapshotVerdict.TimerName(s.Timer)}{TimerDue(s)}  probes_out {s.ProbesOut}  backoff {s.Backoff}  retransmits {s.Retransmits} (total {s.TotalRetrans})"));
        w.WriteLine($"  last     send {Human.Duration(s.LastSendAgoNs)} ago  receive {Human.Duration(s.LastReceiveAgoNs)} ago  ack {Human.Duration(s.LastAckAgoNs)} ago");
        w.WriteLine();
    }

    private static string Headline(SnapshotVerdict v) => v.Problem switch
    {
        SnapshotProblem.Stuck => "STUCK",
        SnapshotProblem.ZeroWindow => "ZERO WINDOW",
        SnapshotProblem.ReceiverNotReading => "NOT READING",
        SnapshotProblem.Retransmitting => "RETRANSMITTING",
        SnapshotProblem.Wl1Lag => v.Severity == Severity.Critical ? "WL1 WRAPPED" : "WL1 LAG",
        _ => "ok",
    };

    private static string TimerDue(SnapshotSocket s) => s.Timer == SnapshotTimer.None ? ""
        : s.TimerInNs >= 0 ? $" in {Human.Duration((ulong)s.TimerInNs)}"
        : $" overdue by {Human.Duration((ulong)-s.TimerInNs)}";

    private static string Owner(SnapshotSocket s) =>
        s.Pid == 0 ? "?" : string.Create(CultureInfo.InvariantCulture, $"{s.Pid}/{s.Comm}");

    private static string Owners(TargetProcesses processes) => processes.Processes.Count switch
    {
        0 => "",
        <= 8 => " of " + string.Join(", ", processes.Processes.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Pid}/{p.Comm}"))),
        var n => string.Create(CultureInfo.InvariantCulture, $" of {n} processes"),
    };
}
