using System.Globalization;
using Tracer.Analysis.Findings;

namespace Tracer.Analysis.Overhead;

/// <summary>The always-on mode changed how much detail the kernel sends, to stay within its overhead budget.</summary>
public sealed record OverheadStepFinding(ulong TimestampNs, DetailLevel From, DetailLevel To, double SamplesPerSecond, ulong Dropped, double BudgetPerSecond)
    : Finding(TimestampNs)
{
    public bool IsStepDown => To > From;

    public override FindingKind Kind => IsStepDown ? FindingKind.OverheadStepDown : FindingKind.OverheadStepUp;

    public override Severity Severity => IsStepDown ? Severity.Warning : Severity.Info;

    public override string Message => IsStepDown
        ? string.Create(CultureInfo.InvariantCulture,
            $"{SamplesPerSecond:N0} samples/s offered (budget {BudgetPerSecond:N0}/s), {Dropped} dropped: sending only zero-window transitions, ignored updates and wl1 lag steps; first-seen, probe and heartbeat samples are counted, not sent")
        : string.Create(CultureInfo.InvariantCulture,
            $"{SamplesPerSecond:N0} samples/s offered, under half the budget ({BudgetPerSecond:N0}/s) with no drops: every change is sent again");

    public override void Describe(IFindingFields fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        fields.Add(Fields.From, From.Spelling());
        fields.Add(Fields.To, To.Spelling());
        fields.Add(Fields.SamplesPerSecond, Math.Round(SamplesPerSecond, 1));
        fields.Add(Fields.Dropped, Dropped);
        fields.Add(Fields.BudgetPerSecond, BudgetPerSecond);
    }
}
