using System.Globalization;
using Tracer.Analysis.Findings;

namespace Tracer.Analysis.Overhead;

/// <summary>The always-on mode changed how much detail the kernel sends, to stay within its overhead budget.</summary>
public sealed record OverheadStepFinding(ulong TimestampNs, DetailLevel From, DetailLevel To, double SamplesPerSecond, ulong Dropped, double BudgetPerSecond)
    : Finding(TimestampNs, 0, 0, string.Empty, default)
{
    public const string StepDownKind = "tracer.overhead_step_down";
    public const string StepUpKind = "tracer.overhead_step_up";

    public bool IsStepDown => To > From;

    public override string Kind => IsStepDown ? StepDownKind : StepUpKind;

    public override Severity Severity => IsStepDown ? Severity.Warning : Severity.Info;

    public override string Message => IsStepDown
        ? string.Create(CultureInfo.InvariantCulture,
            $"{SamplesPerSecond:N0} samples/s offered (budget {BudgetPerSecond:N0}/s), {Dropped} dropped: sending only zero-window transitions, ignored updates and wl1 lag steps; first-seen, probe and heartbeat samples are counted, not sent")
        : string.Create(CultureInfo.InvariantCulture,
            $"{SamplesPerSecond:N0} samples/s offered, under half the budget ({BudgetPerSecond:N0}/s) with no drops: every change is sent again");
}
