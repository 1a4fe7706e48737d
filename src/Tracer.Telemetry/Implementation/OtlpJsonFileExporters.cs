using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;

namespace Tracer.Telemetry.Implementation;

/// <summary>Serializes one export batch into one OTLP JSON line of a <see cref="RotatingFile"/>.</summary>
internal abstract class OtlpJsonFileExporter<T>(RotatingFile file, string signal, ExportHealth health) : BaseExporter<T>
    where T : class
{
    private readonly ArrayBufferWriter<byte> buffer = new(64 * 1024);

    public override ExportResult Export(in Batch<T> batch)
    {
        buffer.ResetWrittenCount();
        using (var w = new Utf8JsonWriter(buffer))
        {
            Write(w, batch);
        }

        try
        {
            file.WriteLine(buffer.WrittenSpan);
        }
        catch (IOException e)
        {
            health.Failed(signal, batch.Count, file.Path, e.Message);
            return ExportResult.Failure;
        }

        health.Succeeded(signal, file.Path);
        return ExportResult.Success;
    }

    protected abstract void Write(Utf8JsonWriter w, in Batch<T> batch);

    /// <summary>
    /// <c>{"resourceX": [{"resource": …, "scopeX": [{"scope": …, "items": [...]}, …]}]}</c>:
    /// the batch's items grouped by instrumentation scope, in their order within each scope.
    /// Only for items that stay valid for the whole export (spans, metrics).
    /// </summary>
    protected void WriteGroupedByScope(
        Utf8JsonWriter w, in Batch<T> batch, (string Resource, string Scope, string Items) arrays,
        Func<T, (string Name, string? Version)> scopeOf, Action<Utf8JsonWriter, T> writeItem)
    {
        var byScope = new Dictionary<(string Name, string? Version), List<T>>();
        foreach (var item in batch)
        {
            var scope = scopeOf(item);
            if (!byScope.TryGetValue(scope, out var items))
            {
                byScope[scope] = items = [];
            }

            items.Add(item);
        }

        w.WriteStartObject();
        w.WriteStartArray(arrays.Resource);
        w.WriteStartObject();
        OtlpJson.WriteResource(w, ParentProvider.GetResource());
        w.WriteStartArray(arrays.Scope);
        foreach (var ((name, version), items) in byScope)
        {
            w.WriteStartObject();
            OtlpJson.WriteScope(w, name, version);
            w.WriteStartArray(arrays.Items);
            items.ForEach(item => writeItem(w, item));
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            file.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>Spans as <c>{"resourceSpans": [...]}</c>, one line per batch.</summary>
internal sealed class OtlpJsonTraceFileExporter(RotatingFile file, ExportHealth health) : OtlpJsonFileExporter<Activity>(file, "spans", health)
{
    protected override void Write(Utf8JsonWriter w, in Batch<Activity> batch) =>
        WriteGroupedByScope(w, batch, ("resourceSpans", "scopeSpans", "spans"), a => (a.Source.Name, a.Source.Version), WriteSpan);

    private static void WriteSpan(Utf8JsonWriter w, Activity a)
    {
        w.WriteStartObject();
        w.WriteString("traceId", a.TraceId.ToHexString());
        w.WriteString("spanId", a.SpanId.ToHexString());
        if (a.ParentSpanId != default)
        {
            w.WriteString("parentSpanId", a.ParentSpanId.ToHexString());
        }

        w.WriteString("name", a.DisplayName);
        w.WriteNumber("kind", (int)a.Kind + 1); // OTLP SPAN_KIND_INTERNAL = 1 follows UNSPECIFIED = 0
        w.WriteString("startTimeUnixNano", OtlpJson.UnixNanos(a.StartTimeUtc));
        w.WriteString("endTimeUnixNano", OtlpJson.UnixNanos(a.StartTimeUtc + a.Duration));
        OtlpJson.WriteAttributes(w, a.TagObjects);
        var events = a.Events.ToList();
        if (events.Count > 0)
        {
            w.WriteStartArray("events");
            foreach (var e in events)
            {
                w.WriteStartObject();
                w.WriteString("timeUnixNano", OtlpJson.UnixNanos(e.Timestamp));
                w.WriteString("name", e.Name);
                OtlpJson.WriteAttributes(w, e.Tags);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteStartObject("status");
        if (!string.IsNullOrEmpty(a.StatusDescription) && a.Status == ActivityStatusCode.Error)
        {
            w.WriteString("message", a.StatusDescription);
        }

        w.WriteNumber("code", (int)a.Status); // Unset 0, Ok 1, Error 2 in both
        w.WriteEndObject();
        w.WriteEndObject();
    }
}

/// <summary>Log records as <c>{"resourceLogs": [...]}</c>, one line per batch, scoped by logger category.</summary>
internal sealed class OtlpJsonLogFileExporter(RotatingFile file, ExportHealth health) : OtlpJsonFileExporter<LogRecord>(file, "logs", health)
{
    // log records are written as they come: the SDK may reuse a record once the enumerator moves on
    protected override void Write(Utf8JsonWriter w, in Batch<LogRecord> batch)
    {
        w.WriteStartObject();
        w.WriteStartArray("resourceLogs");
        w.WriteStartObject();
        OtlpJson.WriteResource(w, ParentProvider.GetResource());
        w.WriteStartArray("scopeLogs");
        string? scope = null;
        foreach (var record in batch)
        {
            var category = record.CategoryName ?? "";
            if (scope != category)
            {
                if (scope is not null)
                {
                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                scope = category;
                w.WriteStartObject();
                OtlpJson.WriteScope(w, category, null);
                w.WriteStartArray("logRecords");
            }

            WriteRecord(w, record);
        }

        if (scope is not null)
        {
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The OTLP severity number and text of a log level (TRACE 1, DEBUG 5, INFO 9, WARN 13, ERROR 17, FATAL 21).</summary>
    private static (int Number, string Text) SeverityOf(LogLevel level) => level switch
    {
        LogLevel.Trace => (1, "Trace"),
        LogLevel.Debug => (5, "Debug"),
        LogLevel.Information => (9, "Information"),
        LogLevel.Warning => (13, "Warning"),
        LogLevel.Error => (17, "Error"),
        LogLevel.Critical => (21, "Critical"),
        _ => (0, "None"),
    };

    private static void WriteRecord(Utf8JsonWriter w, LogRecord r)
    {
        w.WriteStartObject();
        w.WriteString("timeUnixNano", OtlpJson.UnixNanos(r.Timestamp));
        w.WriteString("observedTimeUnixNano", OtlpJson.UnixNanos(r.Timestamp));
        var (number, text) = SeverityOf(r.LogLevel);
        w.WriteNumber("severityNumber", number);
        w.WriteString("severityText", text);
        w.WriteStartObject("body");
        w.WriteString("stringValue", r.FormattedMessage ?? r.Body ?? "");
        w.WriteEndObject();
        var attributes = (r.Attributes ?? []).Where(a => a.Key != "{OriginalFormat}").ToList();
        if (r.EventId.Name is { Length: > 0 } eventName)
        {
            attributes.Add(new("event.name", eventName));
        }

        OtlpJson.WriteAttributes(w, attributes);
        if (r.TraceId != default)
        {
            w.WriteNumber("flags", (int)r.TraceFlags);
            w.WriteString("traceId", r.TraceId.ToHexString());
            w.WriteString("spanId", r.SpanId.ToHexString());
        }

        w.WriteEndObject();
    }
}

/// <summary>Metrics as <c>{"resourceMetrics": [...]}</c>, one line per collection.</summary>
internal sealed class OtlpJsonMetricFileExporter(RotatingFile file, ExportHealth health) : OtlpJsonFileExporter<Metric>(file, "metrics", health)
{
    private const int Cumulative = 2;
    private const int Delta = 1;

    protected override void Write(Utf8JsonWriter w, in Batch<Metric> batch) =>
        WriteGroupedByScope(w, batch, ("resourceMetrics", "scopeMetrics", "metrics"), m => (m.MeterName, m.MeterVersion), WriteMetric);

    private static void WriteMetric(Utf8JsonWriter w, Metric m)
    {
        w.WriteStartObject();
        w.WriteString("name", m.Name);
        if (!string.IsNullOrEmpty(m.Description))
        {
            w.WriteString("description", m.Description);
        }

        if (!string.IsNullOrEmpty(m.Unit))
        {
            w.WriteString("unit", m.Unit);
        }

        var temporality = m.Temporality == AggregationTemporality.Delta ? Delta : Cumulative;
        switch (m.MetricType)
        {
            case MetricType.LongSum or MetricType.DoubleSum or MetricType.LongSumNonMonotonic or MetricType.DoubleSumNonMonotonic:
                w.WriteStartObject("sum");
                WritePoints(w, m);
                w.WriteNumber("aggregationTemporality", temporality);
                w.WriteBoolean("isMonotonic", m.MetricType is MetricType.LongSum or MetricType.DoubleSum);
                w.WriteEndObject();
                break;
            case MetricType.LongGauge or MetricType.DoubleGauge:
                w.WriteStartObject("gauge");
                WritePoints(w, m);
                w.WriteEndObject();
                break;
            case MetricType.Histogram:
                w.WriteStartObject("histogram");
                WritePoints(w, m);
                w.WriteNumber("aggregationTemporality", temporality);
                w.WriteEndObject();
                break;
            default:
                // exponential histograms: Tracer's instruments use explicit buckets
                break;
        }

        w.WriteEndObject();
    }

    private static void WritePoints(Utf8JsonWriter w, Metric m)
    {
        w.WriteStartArray("dataPoints");
        foreach (ref readonly var point in m.GetMetricPoints())
        {
            w.WriteStartObject();
            var tags = new List<KeyValuePair<string, object?>>();
            foreach (var tag in point.Tags)
            {
                tags.Add(tag);
            }

            OtlpJson.WriteAttributes(w, tags);
            w.WriteString("startTimeUnixNano", OtlpJson.UnixNanos(point.StartTime));
            w.WriteString("timeUnixNano", OtlpJson.UnixNanos(point.EndTime));
            switch (m.MetricType)
            {
                case MetricType.LongSum or MetricType.LongSumNonMonotonic:
                    w.WriteString("asInt", point.GetSumLong().ToString(System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic:
                    OtlpJson.WriteDouble(w, "asDouble", point.GetSumDouble());
                    break;
                case MetricType.LongGauge:
                    w.WriteString("asInt", point.GetGaugeLastValueLong().ToString(System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case MetricType.DoubleGauge:
                    OtlpJson.WriteDouble(w, "asDouble", point.GetGaugeLastValueDouble());
                    break;
                case MetricType.Histogram:
                    WriteHistogram(w, point);
                    break;
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteHistogram(Utf8JsonWriter w, in MetricPoint point)
    {
        w.WriteString("count", point.GetHistogramCount().ToString(System.Globalization.CultureInfo.InvariantCulture));
        OtlpJson.WriteDouble(w, "sum", point.GetHistogramSum());
        var counts = new List<long>();
        var bounds = new List<double>();
        foreach (var bucket in point.GetHistogramBuckets())
        {
            counts.Add(bucket.BucketCount);
            if (!double.IsPositiveInfinity(bucket.ExplicitBound))
            {
                bounds.Add(bucket.ExplicitBound);
            }
        }

        w.WriteStartArray("bucketCounts");
        counts.ForEach(c => w.WriteStringValue(c.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        w.WriteEndArray();
        w.WriteStartArray("explicitBounds");
        bounds.ForEach(w.WriteNumberValue);
        w.WriteEndArray();
        if (point.TryGetHistogramMinMaxValues(out var min, out var max))
        {
            OtlpJson.WriteDouble(w, "min", min);
            OtlpJson.WriteDouble(w, "max", max);
        }
    }
}
