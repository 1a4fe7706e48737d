using Tracer.Analysis.Findings;

namespace Tracer.Analysis.Tests;

/// <summary>One finding model: every kind is declared once, is about one subject, and names each of its fields once.</summary>
public sealed class FindingModelTests
{
    [Fact]
    public void EveryKindHasAnExampleAndKindNamesAreUnique()
    {
        Assert.Equal(FindingKind.All.OrderBy(k => k.Name), FindingExamples.All.Select(f => f.Kind).Distinct().OrderBy(k => k.Name));
        Assert.Equal(FindingKind.All.Count, FindingKind.All.Select(k => k.Name).Distinct().Count());
    }

    [Fact]
    public void ConnectionKindsAreExactlyTheConnectionFindings()
    {
        Assert.All(FindingExamples.All, f => Assert.Equal(f.Kind.Subject == FindingSubject.Connection, f is ConnectionFinding));
    }

    [Fact]
    public void AFindingDeclaresEachFieldOnceAndFieldNamesDoNotCollide()
    {
        Assert.All(FindingExamples.All, f =>
        {
            var declared = FindingExamples.Declared(f);
            Assert.Equal(declared.Count, declared.Select(d => d.Json).Distinct().Count());
            Assert.Equal(declared.Count, declared.Select(d => d.Attribute).Distinct().Count());
        });
    }

    [Fact]
    public void EveryMessageIsASentenceForPeople()
    {
        Assert.All(FindingExamples.All, f => Assert.False(string.IsNullOrWhiteSpace(f.Message), f.Kind.Name));
    }
}
