namespace Tracer.Report;

/// <summary>Findings of one kind and severity about one subject that the log did not keep: how many, the first and the last.</summary>
public sealed record FindingGap(ulong? Cookie, string Kind, long Omitted, ReportFinding First, ReportFinding Last);

/// <summary>
/// The findings a report keeps, bounded: every finding of the kinds that draw episodes, verdicts,
/// drops and slab events; of any other kind, per connection (or none) and severity, the first and
/// the last <see cref="Kept"/>/2 and a count of those between. A million ignored window updates
/// then cost twenty findings and a number.
/// </summary>
public sealed class FindingLog
{
    /// <summary>Findings kept per connection, kind and severity.</summary>
    public const int Kept = 20;

    private static readonly HashSet<string> KeptWhole =
        ["tcp.stuck", "tcp.zero_window.start", "tcp.zero_window.end", "tcp.zero_window.open", "tracer.drops", "slab.leak_suspect", "slab.oom"];

    private readonly List<ReportFinding> whole = [];
    private readonly Dictionary<(ulong? Cookie, string Kind, string Severity), Run> runs = [];

    /// <summary>Findings added, kept or not.</summary>
    public long Count { get; private set; }

    /// <summary>Every finding kept, in no particular order.</summary>
    public IEnumerable<ReportFinding> All => whole.Concat(runs.Values.SelectMany(r => r.First.Concat(r.Last)));

    public IEnumerable<FindingGap> Gaps =>
        runs.Where(r => r.Value.Omitted > 0).Select(r => new FindingGap(r.Key.Cookie, r.Key.Kind, r.Value.Omitted, r.Value.FirstOmitted!, r.Value.LastOmitted!));

    public void Add(ReportFinding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        Count++;
        if (KeptWhole.Contains(finding.Kind))
        {
            whole.Add(finding);
            return;
        }

        var key = (finding.Cookie, finding.Kind, finding.Severity);
        if (!runs.TryGetValue(key, out var run))
        {
            runs[key] = run = new Run();
        }

        if (run.First.Count < Kept / 2)
        {
            run.First.Add(finding);
            return;
        }

        run.Last.Enqueue(finding);
        if (run.Last.Count > Kept / 2)
        {
            var omitted = run.Last.Dequeue();
            run.FirstOmitted ??= omitted;
            run.LastOmitted = omitted;
            run.Omitted++;
        }
    }

    private sealed class Run
    {
        public List<ReportFinding> First { get; } = [];

        public Queue<ReportFinding> Last { get; } = [];

        public long Omitted { get; set; }

        public ReportFinding? FirstOmitted { get; set; }

        public ReportFinding? LastOmitted { get; set; }
    }
}
