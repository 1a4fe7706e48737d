using System.Text.Json;
using Tracer.Analysis;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Formatting;
using Tracer.Analysis.Slab;

namespace Tracer.Output;

/// <summary>A finding as one flat JSON object: kind, severity, ts_ns, time, the fields it declares, message.</summary>
public static class FindingJson
{
    /// <param name="wallClock">Kernel time to UTC; null when there is none (a replay of samples without a recording header): no <c>time</c>.</param>
    public static void Write(Utf8JsonWriter w, Finding f, Func<ulong, DateTime>? wallClock)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(f);
        w.WriteStartObject();
        w.WriteString("kind", f.Kind.Name);
        w.WriteString("severity", f.Severity.Spelling());
        w.WriteNumber("ts_ns", f.TimestampNs);
        if (wallClock is not null)
        {
            w.WriteString(Timestamps.JsonField, Timestamps.Rfc3339(wallClock(f.TimestampNs)));
        }

        f.Describe(new JsonFields(w));
        w.WriteString("message", f.Message);
        w.WriteEndObject();
    }

    private sealed class JsonFields(Utf8JsonWriter w) : IFindingFields
    {
        public void Connection(in ConnectionIdentity c)
        {
            w.WriteNumber("cookie", c.Cookie);
            w.WriteNumber("pid", c.Pid);
            w.WriteString("comm", c.Comm);
            EndpointJson.Write(w, c.Endpoints);
            w.WriteBoolean("possibly_incomplete", c.LostSamples > 0);
            w.WriteNumber("lost_samples", c.LostSamples);
            Container(c.Container);
        }

        public void Process(in ProcessIdentity p)
        {
            w.WriteNumber("pid", p.Pid);
            w.WriteString("comm", p.Comm ?? string.Empty);
            Container(p.Container);
        }

        private void Container(ContainerIdentity identity)
        {
            if (identity.ContainerId is { } container)
            {
                w.WriteString("container_id", container);
            }

            if (identity.PodUid is { } pod)
            {
                w.WriteString("k8s_pod_uid", pod);
            }
        }

        public void Add(FindingField field, long value) => w.WriteNumber(field.Json, value);

        public void Add(FindingField field, ulong value) => w.WriteNumber(field.Json, value);

        public void Add(FindingField field, double value) => w.WriteNumber(field.Json, value);

        public void Add(FindingField field, bool value) => w.WriteBoolean(field.Json, value);

        public void Add(FindingField field, string value) => w.WriteString(field.Json, value);

        public void Add(FindingField field, long? value)
        {
            if (value is { } v)
            {
                w.WriteNumber(field.Json, v);
            }
            else
            {
                w.WriteNull(field.Json);
            }
        }

        public void Add(FindingField field, double? value)
        {
            if (value is { } v)
            {
                w.WriteNumber(field.Json, v);
            }
            else
            {
                w.WriteNull(field.Json);
            }
        }

        public void Add(FindingField field, TimeSpan value) => w.WriteNumber(field.Json, (long)Math.Floor(value.TotalMilliseconds));

        public void Add(FindingField field, Kilobytes? value) => Add(field, value?.Value);

        public void Add(FindingField field, IReadOnlyList<ulong> values)
        {
            w.WriteStartArray(field.Json);
            foreach (var v in values)
            {
                w.WriteNumberValue(v);
            }

            w.WriteEndArray();
        }

        public void Add(FindingField field, IReadOnlyList<string> values) => Strings(field.Json, values);

        public void Add(FindingField field, IReadOnlyList<StackShare> stacks)
        {
            w.WriteStartArray(field.Json);
            foreach (var s in stacks)
            {
                w.WriteStartObject();
                w.WriteString("path", s.Path);
                Strings("frames", s.Frames);
                w.WriteNumber("objects", s.Objects);
                w.WriteNumber("bytes", s.Bytes);
                w.WriteStartArray("comms");
                foreach (var (comm, objects) in s.Comms)
                {
                    w.WriteStartObject();
                    w.WriteString("comm", comm);
                    w.WriteNumber("objects", objects);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        public void Add(FindingField field, IReadOnlyList<CacheSize> caches)
        {
            w.WriteStartArray(field.Json);
            foreach (var c in caches)
            {
                w.WriteStartObject();
                w.WriteString("cache", c.Cache);
                w.WriteNumber("objects", c.Objects);
                w.WriteNumber("bytes", c.Bytes);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        private void Strings(string name, IReadOnlyList<string> values)
        {
            w.WriteStartArray(name);
            foreach (var v in values)
            {
                w.WriteStringValue(v);
            }

            w.WriteEndArray();
        }
    }
}
