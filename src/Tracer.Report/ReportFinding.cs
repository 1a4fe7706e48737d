using System.Globalization;
using System.Text.Json;
using Tracer.Analysis.Findings;
using Tracer.Output;

namespace Tracer.Report;

/// <summary>A time on one input's clock: nanoseconds, and what to add to reach Unix-epoch nanoseconds when that is known.</summary>
/// <param name="Ns">CLOCK_MONOTONIC nanoseconds of the traced kernel, or Unix nanoseconds when <paramref name="WallOffsetNs"/> is 0 (OTLP).</param>
public readonly record struct ReportTime(ulong Ns, long? WallOffsetNs)
{
    public long? UnixNs => WallOffsetNs is { } offset ? (long)Ns + offset : null;
}

/// <summary>
/// A finding as the report reads it: the flat JSON object <c>--json</c> writes (kind, severity,
/// the declared fields, message), whether the engine made it from samples or an input held it.
/// </summary>
public sealed class ReportFinding(JsonElement json, ReportTime time)
{
    public JsonElement Json { get; } = json;

    public ReportTime Time { get; } = time;

    public string Kind => String("kind") ?? "";

    public string Severity => String("severity") ?? "info";

    public string Message => String("message") ?? "";

    /// <summary>0 info, 1 warning, 2 critical.</summary>
    public int Rank => Severity switch
    {
        "critical" => 2,
        "warning" => 1,
        _ => 0,
    };

    /// <summary>The connection's socket cookie for a connection finding.</summary>
    public ulong? Cookie => Json.TryGetProperty("cookie", out var c) && c.TryGetUInt64(out var v) ? v : null;

    /// <summary>From the engine: the finding rendered by the same JSON writer as <c>--json</c>.</summary>
    public static ReportFinding From(Finding finding, long? wallOffsetNs)
    {
        ArgumentNullException.ThrowIfNull(finding);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            FindingJson.Write(writer, finding, wallOffsetNs is { } offset ? ts => DateTime.UnixEpoch.AddTicks(((long)ts + offset) / TimeSpan.NanosecondsPerTick) : null);
        }

        using var document = JsonDocument.Parse(buffer.ToArray());
        return new ReportFinding(document.RootElement.Clone(), new ReportTime(finding.TimestampNs, wallOffsetNs));
    }

    public string? String(string name) => Json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public double? Number(string name) => Json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    public bool Flag(string name) => Json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    /// <summary>"rsync 4711 192.168.10.20:51034 → 192.168.10.5:873", or null for a finding about no connection.</summary>
    public string? ConnectionLabel =>
        Cookie is null ? null
        : string.Create(CultureInfo.InvariantCulture, $"{String("comm")} {Number("pid")} {Address(String("saddr"), Number("sport"))} → {Address(String("daddr"), Number("dport"))}");

    private static string Address(string? address, double? port) =>
        address is not null && address.Contains(':', StringComparison.Ordinal)
            ? string.Create(CultureInfo.InvariantCulture, $"[{address}]:{port}")
            : string.Create(CultureInfo.InvariantCulture, $"{address}:{port}");
}
