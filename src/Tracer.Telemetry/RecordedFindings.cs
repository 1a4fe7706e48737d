using System.Globalization;
using System.Text.Json;

namespace Tracer.Telemetry;

/// <summary>A finding <c>tracer run</c> wrote to its data directory, read back: when, its kind, its sentence and its attributes as text.</summary>
public sealed record RecordedFinding(DateTimeOffset Time, string Kind, string Message, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// The findings in <c>logs.jsonl</c> of <c>tracer run</c>'s data directory (OTLP JSON, one export
/// request a line), so that a one-shot command can say what the always-on one saw recently. A line
/// that does not parse (one being written) is skipped.
/// </summary>
public static class RecordedFindings
{
    public const string LogsFile = "logs.jsonl";

    /// <summary>The findings of <paramref name="kind"/> recorded at or after <paramref name="since"/>, oldest first; none when there is no such file.</summary>
    public static IReadOnlyList<RecordedFinding> Read(string dataDirectory, string kind, DateTimeOffset since)
    {
        var path = Path.Combine(dataDirectory, LogsFile);
        var found = new List<RecordedFinding>();
        if (!File.Exists(path))
        {
            return found;
        }

        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        while (reader.ReadLine() is { } line)
        {
            try
            {
                using var request = JsonDocument.Parse(line);
                found.AddRange(Records(request.RootElement).Where(r => r.Kind == kind && r.Time >= since));
            }
            catch (JsonException)
            {
                // a line cut short while tracer run writes it
            }
        }

        return found.OrderBy(r => r.Time).ToList();
    }

    private static IEnumerable<RecordedFinding> Records(JsonElement request)
    {
        foreach (var resource in Array(request, "resourceLogs"))
        {
            foreach (var scope in Array(resource, "scopeLogs"))
            {
                foreach (var record in Array(scope, "logRecords"))
                {
                    var attributes = Attributes(record);
                    if (!attributes.TryGetValue(TelemetryAttributes.FindingKind, out var kind) ||
                        !record.TryGetProperty("timeUnixNano", out var nanos) || !long.TryParse(nanos.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var ns))
                    {
                        continue;
                    }

                    var body = record.TryGetProperty("body", out var b) && b.TryGetProperty("stringValue", out var text) ? text.GetString() ?? "" : "";
                    yield return new RecordedFinding(DateTimeOffset.UnixEpoch.AddTicks(ns / 100), kind, body, attributes);
                }
            }
        }
    }

    private static JsonElement.ArrayEnumerator Array(JsonElement element, string name) =>
        element.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : default;

    private static Dictionary<string, string> Attributes(JsonElement record)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var a in Array(record, "attributes"))
        {
            if (!a.TryGetProperty("key", out var key) || !a.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            foreach (var v in value.EnumerateObject().Select(p => p.Value).Take(1))
            {
                if (v.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                {
                    attributes[key.GetString()!] = v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();
                }
            }
        }

        return attributes;
    }
}
