using System.Runtime.CompilerServices;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Tests;

/// <summary>
/// Simulates the pre-5.10 fast-path bug on a healthy bulk transfer. Runs over every
/// Fixtures/bulk-*.jsonl and Fixtures/*.trec, so real recordings can join the synthetic one.
/// </summary>
public sealed class Wl1FreezerTests
{
    private const string SyntheticFixture = "bulk-synthetic.jsonl";

    public static TheoryData<string> BulkFixtures()
    {
        var names = Directory.EnumerateFiles(Fixtures.Directory, "bulk-*.jsonl")
            .Concat(Directory.EnumerateFiles(Fixtures.Directory, "*.trec"))
            .Select(path => Path.GetFileName(path))
            .Order(StringComparer.Ordinal);
        return [.. names];
    }

    [Theory]
    [MemberData(nameof(BulkFixtures))]
    public void FrozenWl1WarnsBeforeTheZeroWindowAndThenSticks(string fixture)
    {
        var findings = Analysis.Run(Wl1Freezer.Freeze(Fixtures.Read(Fixtures.PathOf(fixture))));

        var stuckConnections = findings.OfType<StuckFinding>().Select(f => f.Cookie).Distinct().ToList();
        Assert.NotEmpty(stuckConnections);
        Assert.Contains(stuckConnections, cookie =>
        {
            var mine = findings.Where(f => f.Cookie == cookie).ToList();
            var warning = mine.FindIndex(f => f is Wl1LagFinding { Level: Severity.Warning });
            var critical = mine.FindIndex(f => f is Wl1LagFinding { Level: Severity.Critical });
            var start = mine.FindIndex(f => f is ZeroWindowStartFinding);
            var stuck = mine.FindIndex(f => f is StuckFinding { Cause: IgnoreCause.Wl1Wrapped });
            return warning >= 0 && warning < critical && critical < start && start < stuck;
        });
    }

    [Theory]
    [MemberData(nameof(BulkFixtures))]
    public void HealthyTransferHasNoIgnoredUpdateAndNoStuck(string fixture)
    {
        var findings = Analysis.Run(Fixtures.Read(Fixtures.PathOf(fixture)));

        Assert.DoesNotContain(findings, f => f is WindowUpdateIgnoredFinding or StuckFinding);
        Assert.DoesNotContain(findings, f => f is ZeroWindowOpenFinding { Stuck: true });
    }

    [Fact]
    public void SyntheticTransferClosesAndReopensTheWindow()
    {
        var findings = Analysis.Run(SyntheticBulkTransfer.Generate());

        var start = Assert.Single(findings.OfType<ZeroWindowStartFinding>());
        var end = Assert.Single(findings.OfType<ZeroWindowEndFinding>());
        Assert.Equal(ZeroWindowTrigger.WindowClosed, start.Trigger);
        Assert.Equal(5, end.Episode.MaxBackoff);
        Assert.Equal(3UL << 20, end.NewWindow);
        Assert.True(SyntheticBulkTransfer.Generate()[^1].BytesReceived > 3_500_000_000);
    }

    /// <summary>Set TRACER_REGENERATE_FIXTURES=1 to rewrite the checked-in file from the generator.</summary>
    [Fact]
    public void CheckedInSyntheticFixtureMatchesTheGenerator()
    {
        using var generated = new MemoryStream();
        using (var writer = new JsonLinesWriter(generated, leaveOpen: true))
        {
            foreach (var sample in SyntheticBulkTransfer.Generate())
            {
                writer.Write(sample);
            }
        }

        if (Environment.GetEnvironmentVariable("TRACER_REGENERATE_FIXTURES") == "1")
        {
            File.WriteAllBytes(Path.Combine(SourceDirectory(), "Fixtures", SyntheticFixture), generated.ToArray());
        }

        Assert.Equal(generated.ToArray(), File.ReadAllBytes(Fixtures.PathOf(SyntheticFixture)));
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
