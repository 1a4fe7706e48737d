using System.Globalization;
using System.Text.Json;
using Tracer.Analysis.Findings;
using Tracer.Telemetry;

namespace Tracer.Report;

/// <summary>
/// One OTLP JSON Lines file as <c>tracer run</c> writes it (the Collector file exporter's format):
/// log records are findings, whose attributes are turned back into the JSON fields the report
/// reads; the slab metrics are series; every resource names the host and the tracer's version.
/// </summary>
internal static class OtlpFile
{
    /// <summary>Attributes of a finding's log record and the <c>--json</c> field each one is, with the factor from the attribute's unit.</summary>
    private static readonly (string Attribute, string Json, double Factor)[] FieldsRead =
    [
        (TelemetryAttributes.TcpCookie, "cookie", 1),
        (TelemetryAttributes.ProcessPid, "pid", 1),
        (TelemetryAttributes.ProcessCommand, "comm", 1),
        (TelemetryAttributes.NetworkLocalAddress, "saddr", 1),
        (TelemetryAttributes.NetworkLocalPort, "sport", 1),
        (TelemetryAttributes.NetworkPeerAddress, "daddr", 1),
        (TelemetryAttributes.NetworkPeerPort, "dport", 1),
        (TelemetryAttributes.FindingLostSamples, "lost_samples", 1),
        (Fields.Stuck.Attribute, Fields.Stuck.Json, 1),
        (Fields.DurationMs.Attribute, Fields.DurationMs.Json, 1000),
        (Fields.Wl1LagBytes.Attribute, Fields.Wl1LagBytes.Json, 1),
        (Fields.Cache.Attribute, Fields.Cache.Json, 1),
        (Fields.Dropped.Attribute, Fields.Dropped.Json, 1),
    ];

    /// <summary>Reads the file into <paramref name="report"/>; says what it held.</summary>
    public static string Read(string path, ReportBuilder report)
    {
        int findings = 0, points = 0, spans = 0;
        foreach (var (line, number) in ReportInputs.Lines(path))
        {
            using var document = ReportInputs.Parse(path, number, line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ReportInputException($"{path}: line {number}: not an OTLP export request");
            }

            foreach (var resource in Array(root, "resourceLogs"))
            {
                Resource(resource, report);
                foreach (var record in Array(resource, "scopeLogs").SelectMany(s => Array(s, "logRecords")))
                {
                    if (Finding(path, number, record) is { } finding)
                    {
                        report.Findings.Add(finding);
                        findings++;
                    }
                }
            }

            foreach (var resource in Array(root, "resourceMetrics"))
            {
                Resource(resource, report);
                points += Array(resource, "scopeMetrics").SelectMany(s => Array(s, "metrics")).Sum(m => Metric(m, report));
            }

            foreach (var resource in Array(root, "resourceSpans"))
            {
                Resource(resource, report);
                spans += Array(resource, "scopeSpans").Sum(s => Array(s, "spans").Count());
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"{findings} findings, {points} slab data points, {spans} spans");
    }

    private static void Resource(JsonElement resource, ReportBuilder report)
    {
        if (!resource.TryGetProperty("resource", out var r))
        {
            return;
        }

        var attributes = Attributes(r);
        if (Text(attributes, TelemetryAttributes.HostName) is { } host)
        {
            report.Hosts.Add(host);
        }

        if (Text(attributes, "service.version") is { } version)
        {
            report.Versions.Add(version);
        }
    }

    /// <summary>A log record with a <c>tracer.finding.kind</c> as the flat JSON object of <c>--json</c>.</summary>
    private static ReportFinding? Finding(string path, int number, JsonElement record)
    {
        var attributes = Attributes(record);
        if (Text(attributes, TelemetryAttributes.FindingKind) is not { } kind)
        {
            return null;
        }

        if (!record.TryGetProperty("timeUnixNano", out var time) || !ulong.TryParse(time.ValueKind == JsonValueKind.String ? time.GetString() : time.GetRawText(), CultureInfo.InvariantCulture, out var unixNs))
        {
            throw new ReportInputException($"{path}: line {number}: a log record of {kind} without timeUnixNano");
        }

        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", kind);
            w.WriteString("severity", Text(attributes, TelemetryAttributes.FindingSeverity) ?? "info");
            w.WriteString("message", record.TryGetProperty("body", out var body) && body.TryGetProperty("stringValue", out var text) ? text.GetString() : "");
            foreach (var (attribute, json, factor) in FieldsRead)
            {
                if (attributes.TryGetValue(attribute, out var value))
                {
                    WriteValue(w, json, value, factor);
                }
            }

            if (attributes.ContainsKey(TelemetryAttributes.FindingLostSamples))
            {
                w.WriteBoolean("possibly_incomplete", true);
            }

            Stacks(w, attributes);
            w.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.ToArray());
        return new ReportFinding(document.RootElement.Clone(), new ReportTime(unixNs, 0));
    }

    /// <summary>The parallel arrays of a leak suspect's stacks back into <c>top_stacks</c> objects.</summary>
    private static void Stacks(Utf8JsonWriter w, Dictionary<string, JsonElement> attributes)
    {
        if (!attributes.TryGetValue(Fields.TopStacks.Attribute, out var paths))
        {
            return;
        }

        var objects = attributes.TryGetValue(TelemetryAttributes.SlabTopStackObjects, out var o) ? ArrayValues(o).ToList() : [];
        var comms = attributes.TryGetValue(TelemetryAttributes.SlabTopStackComms, out var c) ? ArrayValues(c).ToList() : [];
        w.WriteStartArray(Fields.TopStacks.Json);
        var i = 0;
        foreach (var path in ArrayValues(paths))
        {
            var text = path.GetProperty("stringValue").GetString() ?? "";
            w.WriteStartObject();
            w.WriteString("path", text);
            w.WriteStartArray("frames");
            foreach (var frame in text.Split(" → "))
            {
                w.WriteStringValue(frame);
            }

            w.WriteEndArray();
            w.WriteNumber("objects", i < objects.Count && Number(objects[i]) is { } n ? n : 0);
            w.WriteStartArray("comms");
            foreach (var comm in (i < comms.Count ? comms[i].GetProperty("stringValue").GetString() ?? "" : "").Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                w.WriteStartObject();
                w.WriteString("comm", comm);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            i++;
        }

        w.WriteEndArray();
    }

    /// <summary>SUnreclaim and per-cache object counts; returns the data points taken.</summary>
    private static int Metric(JsonElement metric, ReportBuilder report)
    {
        var name = metric.TryGetProperty("name", out var n) ? n.GetString() : null;
        if (name is not (TracerTelemetry.SUnreclaimMetric or TracerTelemetry.SlabObjectsMetric))
        {
            return 0;
        }

        var taken = 0;
        foreach (var data in new[] { "gauge", "sum" }.Where(k => metric.TryGetProperty(k, out _)).Select(k => metric.GetProperty(k)))
        {
            foreach (var point in Array(data, "dataPoints"))
            {
                if (!point.TryGetProperty("timeUnixNano", out var time) || !ulong.TryParse(time.GetString(), CultureInfo.InvariantCulture, out var unixNs)
                    || Number(point) is not { } value)
                {
                    continue;
                }

                var at = new ReportTime(unixNs, 0);
                var attributes = Attributes(point);
                if (name == TracerTelemetry.SUnreclaimMetric)
                {
                    if (Text(attributes, TelemetryAttributes.SystemMemoryLinuxSlabState) is { } state && state != "unreclaimable")
                    {
                        continue;
                    }

                    report.Slab.SUnreclaim.Add((at, value));
                }
                else if (Text(attributes, TelemetryAttributes.SlabCache) is { } cache)
                {
                    report.Slab.AddCount(cache, at, value);
                }

                taken++;
            }
        }

        return taken;
    }

    /// <summary>An OTLP number: <c>asInt</c> (a string in the JSON mapping), <c>asDouble</c>, or an AnyValue's <c>intValue</c> / <c>doubleValue</c>.</summary>
    private static double? Number(JsonElement value)
    {
        foreach (var key in new[] { "asInt", "asDouble", "intValue", "doubleValue" })
        {
            if (value.TryGetProperty(key, out var v))
            {
                return v.ValueKind == JsonValueKind.String
                    ? double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null
                    : v.GetDouble();
            }
        }

        return null;
    }

    private static void WriteValue(Utf8JsonWriter w, string name, JsonElement value, double factor)
    {
        if (value.TryGetProperty("stringValue", out var s))
        {
            w.WriteString(name, s.GetString());
        }
        else if (value.TryGetProperty("boolValue", out var b))
        {
            w.WriteBoolean(name, b.GetBoolean());
        }
        else if (Number(value) is { } number)
        {
            w.WriteNumber(name, number * factor);
        }
    }

    /// <summary>A string attribute's value (an AnyValue's <c>stringValue</c>); null when absent or not a string.</summary>
    private static string? Text(Dictionary<string, JsonElement> attributes, string key) =>
        attributes.TryGetValue(key, out var value) && value.ValueKind == JsonValueKind.Object && value.TryGetProperty("stringValue", out var s) ? s.GetString() : null;

    private static Dictionary<string, JsonElement> Attributes(JsonElement owner)
    {
        var attributes = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var a in Array(owner, "attributes"))
        {
            if (a.TryGetProperty("key", out var key) && a.TryGetProperty("value", out var value))
            {
                attributes[key.GetString()!] = value;
            }
        }

        return attributes;
    }

    private static IEnumerable<JsonElement> ArrayValues(JsonElement value) =>
        value.TryGetProperty("arrayValue", out var array) ? Array(array, "values") : [];

    private static IEnumerable<JsonElement> Array(JsonElement owner, string name) =>
        owner.ValueKind == JsonValueKind.Object && owner.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray()
            : [];
}
