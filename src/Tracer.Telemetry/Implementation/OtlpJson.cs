using System.Globalization;
using System.Text.Json;
using OpenTelemetry.Resources;

namespace Tracer.Telemetry.Implementation;

/// <summary>
/// Pieces of the OTLP protobuf JSON mapping (what the Collector's file exporter writes
/// and its otlpjsonfile receiver reads): lowerCamelCase fields, 64-bit integers and
/// unix-nanosecond times as strings, trace and span ids as hex.
/// </summary>
internal static class OtlpJson
{
    public static string UnixNanos(DateTime utc) =>
        ((utc.Ticks - DateTime.UnixEpoch.Ticks) * 100).ToString(CultureInfo.InvariantCulture);

    public static string UnixNanos(DateTimeOffset time) => UnixNanos(time.UtcDateTime);

    public static void WriteResource(Utf8JsonWriter w, Resource resource)
    {
        w.WriteStartObject("resource");
        WriteAttributes(w, resource.Attributes.Select(a => new KeyValuePair<string, object?>(a.Key, a.Value)));
        w.WriteEndObject();
    }

    public static void WriteScope(Utf8JsonWriter w, string name, string? version)
    {
        w.WriteStartObject("scope");
        w.WriteString("name", name);
        if (!string.IsNullOrEmpty(version))
        {
            w.WriteString("version", version);
        }

        w.WriteEndObject();
    }

    /// <summary>Writes <c>"attributes": [...]</c>; an empty list writes nothing.</summary>
    public static void WriteAttributes(Utf8JsonWriter w, IEnumerable<KeyValuePair<string, object?>>? attributes)
    {
        var started = false;
        foreach (var (key, value) in attributes ?? [])
        {
            if (value is null)
            {
                continue;
            }

            if (!started)
            {
                w.WriteStartArray("attributes");
                started = true;
            }

            w.WriteStartObject();
            w.WriteString("key", key);
            w.WritePropertyName("value");
            WriteAnyValue(w, value);
            w.WriteEndObject();
        }

        if (started)
        {
            w.WriteEndArray();
        }
    }

    public static void WriteAnyValue(Utf8JsonWriter w, object value)
    {
        w.WriteStartObject();
        switch (value)
        {
            case string s:
                w.WriteString("stringValue", s);
                break;
            case bool b:
                w.WriteBoolean("boolValue", b);
                break;
            case double or float or decimal:
                WriteDouble(w, "doubleValue", Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            case long or int or short or sbyte or byte or ushort or uint:
                w.WriteString("intValue", Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));
                break;
            case ulong u:
                w.WriteString("intValue", ((long)Math.Min(u, long.MaxValue)).ToString(CultureInfo.InvariantCulture));
                break;
            case System.Collections.IEnumerable items:
                w.WriteStartObject("arrayValue");
                w.WriteStartArray("values");
                foreach (var item in items)
                {
                    if (item is not null)
                    {
                        WriteAnyValue(w, item);
                    }
                }

                w.WriteEndArray();
                w.WriteEndObject();
                break;
            default:
                w.WriteString("stringValue", Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }

        w.WriteEndObject();
    }

    /// <summary>protobuf JSON spells non-finite doubles as strings.</summary>
    public static void WriteDouble(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumber(name, value);
        }
        else
        {
            w.WriteString(name, double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }
}
