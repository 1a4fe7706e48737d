using System.Text.Json;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Tests;

namespace Tracer.Output.Tests;

/// <summary>Every finding kind renders as JSON and text from its declaration alone.</summary>
public sealed class EveryKindTests
{
    public static TheoryData<string> Kinds => [.. FindingExamples.All.Select((f, i) => $"{i}:{f.Kind.Name}")];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void JsonHasTheHeaderEveryDeclaredFieldAndTheMessage(string example)
    {
        var finding = FindingExamples.All[int.Parse(example.Split(':')[0], System.Globalization.CultureInfo.InvariantCulture)];
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            FindingJson.Write(writer, finding, _ => new DateTime(2026, 12, 6, 3, 0, 0, DateTimeKind.Utc));
        }

        var json = JsonDocument.Parse(buffer.ToArray()).RootElement;
        Assert.Equal(finding.Kind.Name, json.GetProperty("kind").GetString());
        Assert.Equal(finding.Message, json.GetProperty("message").GetString());
        Assert.True(json.TryGetProperty("severity", out _));
        Assert.True(json.TryGetProperty("ts_ns", out _));
        Assert.Equal("2026-12-06T03:00:00.000Z", json.GetProperty("time").GetString());
        Assert.All(FindingExamples.Declared(finding), field => Assert.True(json.TryGetProperty(field.Json, out _), field.Json));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TextNamesTheKindAndForAConnectionItsOwnerAndTuple(string example)
    {
        var finding = FindingExamples.All[int.Parse(example.Split(':')[0], System.Globalization.CultureInfo.InvariantCulture)];

        var line = TextOutput.Format(finding, TextOutput.Utc(_ => new DateTime(2026, 12, 6, 3, 0, 0, DateTimeKind.Utc)));

        Assert.StartsWith($"03:00:00.000Z {finding.Kind.Name}", line, StringComparison.Ordinal);
        Assert.EndsWith(finding.Message, line.Split(" [may be incomplete")[0], StringComparison.Ordinal);
        Assert.Equal(finding is ConnectionFinding, line.Contains($"4711/rsync {Samples.Endpoints}:", StringComparison.Ordinal));
    }
}
