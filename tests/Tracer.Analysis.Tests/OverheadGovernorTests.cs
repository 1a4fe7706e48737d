using Tracer.Analysis.Findings;
using Tracer.Analysis.Overhead;

namespace Tracer.Analysis.Tests;

public sealed class OverheadGovernorTests
{
    private const ulong Second = 1_000_000_000;
    private static readonly OverheadOptions Budget = new() { SampleBudgetPerSecond = 1000, CalmBeforeStepUp = TimeSpan.FromSeconds(5) };

    [Fact]
    public void StaysAtFullDetailWithinTheBudget()
    {
        var (governor, findings) = Governor();

        Feed(governor, perSecond: 900, seconds: 10);

        Assert.Equal(DetailLevel.Full, governor.Level);
        Assert.Empty(findings.Findings);
    }

    [Fact]
    public void StepsDownWhenTheRatePassesTheBudgetAndSaysSo()
    {
        var (governor, findings) = Governor();

        var state = Feed(governor, perSecond: 5000, seconds: 2);

        Assert.Equal(DetailLevel.Verdict, governor.Level);
        var step = Assert.IsType<OverheadStepFinding>(Assert.Single(findings.Findings));
        Assert.Equal(FindingKind.OverheadStepDown, step.Kind);
        Assert.Equal(Severity.Warning, step.Severity);
        Assert.Equal(5000, step.SamplesPerSecond, precision: 0);
        Assert.Contains("budget 1,000/s", step.Message, StringComparison.Ordinal);
        Assert.Equal(2 * Second, state.NowNs);
    }

    [Fact]
    public void AnyDropStepsDownEvenUnderTheBudget()
    {
        var (governor, findings) = Governor();
        governor.Observe(0, new LoadState(0, 0, [0, 0], DetailLevel.Full));

        governor.Observe(Second, new LoadState(10, 0, [0, 3], DetailLevel.Full));

        Assert.Equal(DetailLevel.Verdict, governor.Level);
        Assert.Equal(3UL, Assert.IsType<OverheadStepFinding>(Assert.Single(findings.Findings)).Dropped);
    }

    [Fact]
    public void CountsSuppressedSamplesAsLoadAndStepsUpOnlyAfterACalmSpell()
    {
        var (governor, findings) = Governor();
        var state = Feed(governor, perSecond: 5000, seconds: 2);
        Assert.Equal(DetailLevel.Verdict, governor.Level);

        // held down: few samples delivered, but what is suppressed still counts as offered load
        state = Feed(governor, perSecond: 10, seconds: 10, suppressedPerSecond: 4000, from: state);
        Assert.Equal(DetailLevel.Verdict, governor.Level);

        state = Feed(governor, perSecond: 100, seconds: 4, from: state);
        Assert.Equal(DetailLevel.Verdict, governor.Level);
        Feed(governor, perSecond: 100, seconds: 2, from: state);

        Assert.Equal(DetailLevel.Full, governor.Level);
        Assert.Equal([FindingKind.OverheadStepDown, FindingKind.OverheadStepUp], findings.Findings.Select(f => f.Kind));
    }

    [Fact]
    public void ABudgetOfZeroNeverStepsDown()
    {
        var (governor, findings) = Governor(new OverheadOptions { SampleBudgetPerSecond = 0 });

        Feed(governor, perSecond: 1_000_000, seconds: 5);

        Assert.Equal(DetailLevel.Full, governor.Level);
        Assert.Empty(findings.Findings);
    }

    private static (OverheadGovernor Governor, FindingCollector Findings) Governor(OverheadOptions? options = null)
    {
        var findings = new FindingCollector();
        return (new OverheadGovernor(findings, options ?? Budget), findings);
    }

    private sealed record Totals(ulong NowNs, ulong Samples, ulong Suppressed);

    private static Totals Feed(OverheadGovernor governor, ulong perSecond, int seconds, ulong suppressedPerSecond = 0, Totals? from = null)
    {
        var t = from ?? new Totals(0, 0, 0);
        if (from is null)
        {
            governor.Observe(0, new LoadState(0, 0, [0], governor.Level));
        }

        for (var i = 0; i < seconds; i++)
        {
            t = new Totals(t.NowNs + Second, t.Samples + perSecond, t.Suppressed + suppressedPerSecond);
            governor.Observe(t.NowNs, new LoadState(t.Samples, t.Suppressed, [0], governor.Level));
        }

        return t;
    }
}
