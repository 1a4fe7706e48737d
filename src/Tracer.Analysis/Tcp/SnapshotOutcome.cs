using Tracer.Analysis.Findings;

namespace Tracer.Analysis.Tcp;

/// <summary>Where <c>tracer attach</c> stands on its target's connections.</summary>
public enum AttachVerdict : byte
{
    /// <summary>Nothing waits on a zero window.</summary>
    Normal = 0,

    /// <summary>Every zero-window episode seen ended: the window reopened.</summary>
    Recovered = 1,

    /// <summary>A zero window is still open and the peer has not answered yet.</summary>
    Unsettled = 2,

    /// <summary>A connection is stuck: the kernel ignores (or will ignore) the peer's reopening window.</summary>
    Stuck = 3,
}

/// <summary>
/// Passes findings on and follows the zero-window episodes among them: the live
/// phase of <c>tracer attach</c> ends when no episode is left waiting for the
/// peer's answer. Snapshot verdicts that already show a wrapped snd_wl1 count as stuck.
/// </summary>
public sealed class SnapshotOutcome(IFindingSink output) : IFindingSink
{
    private readonly HashSet<ulong> waiting = [];
    private readonly HashSet<ulong> recovered = [];
    private readonly HashSet<ulong> stuck = [];
    private readonly HashSet<ulong> predicted = [];

    /// <summary>Connections whose zero-window episode is open and not yet judged.</summary>
    public IReadOnlyCollection<ulong> Waiting => waiting;

    public IReadOnlyCollection<ulong> StuckConnections => stuck;

    public bool IsSettled => waiting.Count == 0;

    public AttachVerdict Verdict =>
        stuck.Count > 0 ? AttachVerdict.Stuck
        : waiting.Count > 0 ? AttachVerdict.Unsettled
        : recovered.Count > 0 ? AttachVerdict.Recovered
        : AttachVerdict.Normal;

    /// <summary>A socket judged stuck from its snapshot (zero window, snd_wl1 wrapped); the live phase may confirm it.</summary>
    public void PredictedStuck(ulong cookie)
    {
        stuck.Add(cookie);
        predicted.Add(cookie);
    }

    public void Emit(Finding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        switch (finding)
        {
            case ZeroWindowStartFinding start:
                waiting.Add(start.Cookie);
                recovered.Remove(start.Cookie);
                break;
            case ZeroWindowEndFinding end:
                waiting.Remove(end.Cookie);
                if (predicted.Remove(end.Cookie))
                {
                    stuck.Remove(end.Cookie); // the prediction was wrong: the window reopened
                }

                if (!stuck.Contains(end.Cookie))
                {
                    recovered.Add(end.Cookie);
                }

                break;
            case StuckFinding verdict:
                waiting.Remove(verdict.Cookie);
                predicted.Remove(verdict.Cookie);
                stuck.Add(verdict.Cookie);
                break;
        }

        output.Emit(finding);
    }

    /// <summary>The closing sentence of an attach.</summary>
    public string Summary(TimeSpan watched) => Verdict switch
    {
        AttachVerdict.Stuck => $"verdict: STUCK — {stuck.Count} connection(s) cannot leave zero window",
        AttachVerdict.Unsettled => watched > TimeSpan.Zero
            ? $"verdict: unsettled — {waiting.Count} connection(s) still at zero window after watching {Formatting.Human.Duration(watched)}: no window update arrived"
            : $"verdict: unsettled — {waiting.Count} connection(s) at zero window; watch live (--timeout) for the peer's next answer",
        AttachVerdict.Recovered => $"verdict: recovered — {recovered.Count} connection(s) left zero window",
        _ => "verdict: normal — no connection waits on a zero window",
    };
}
