using System.Text.Json;
using Tracer.Analysis.Findings;

namespace Tracer.Analysis.Slab;

/// <summary>Writes a slab finding as one flat JSON object with snake_case fields.</summary>
public static class SlabFindingJson
{
    public static void Write(Utf8JsonWriter w, SlabFinding f)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(f);
        w.WriteStartObject();
        w.WriteString("kind", f.Kind);
        w.WriteString("severity", FindingJson.SeverityName(f.Severity));
        w.WriteNumber("ts_ns", f.TimestampNs);
        switch (f)
        {
            case SlabGrowthFinding g:
                w.WriteString("cache", g.Cache);
                w.WriteNumber("interval_ms", g.IntervalNs / 1_000_000);
                w.WriteNumber("net_objects", g.NetObjects);
                w.WriteNumber("net_bytes", g.NetBytes);
                w.WriteNumber("objects_per_s", Math.Round(g.ObjectsPerSecond, 1));
                w.WriteNumber("bytes_per_s", Math.Round(g.BytesPerSecond, 1));
                w.WriteString("net_source", g.Source == NetSource.Kernel ? "kernel" : "slabinfo");
                w.WriteNumber("allocs_per_s", Math.Round(g.AllocsPerSecond, 1));
                WriteNullable(w, "frees_per_s", g.FreesPerSecond is { } fr ? Math.Round(fr, 1) : null);
                WriteNullable(w, "slabinfo_delta", g.SlabinfoDelta);
                WriteNullable(w, "sunreclaim_kb", g.SUnreclaimKb);
                WriteNullable(w, "sunreclaim_delta_kb", g.SUnreclaimDeltaKb);
                w.WriteNumber("missed_frees", g.MissedFrees);
                WriteStacks(w, g.TopStacks);
                break;
            case SlabLeakSuspectFinding s:
                w.WriteString("cache", s.Cache);
                w.WriteNumber("streak_ms", s.StreakNs / 1_000_000);
                w.WriteNumber("growth_objects", s.GrowthObjects);
                w.WriteNumber("growth_bytes", s.GrowthBytes);
                w.WriteNumber("objects_per_s", Math.Round(s.ObjectsPerSecond, 1));
                w.WriteNumber("bytes_per_s", Math.Round(s.BytesPerSecond, 1));
                w.WriteNumber("mean_outstanding_age_ms", s.MeanOutstandingAgeNs / 1_000_000);
                WriteNullable(w, "sunreclaim_delta_kb", s.SUnreclaimDeltaKb);
                WriteStacks(w, s.TopStacks);
                break;
            case SlabOomFinding o:
                w.WriteNumber("victim_pid", o.VictimPid);
                w.WriteString("victim_comm", o.VictimComm);
                w.WriteNumber("uid", o.Uid);
                w.WriteNumber("victim_total_vm_bytes", o.VictimTotalVmBytes);
                w.WriteNumber("trigger_pid", o.TriggerPid);
                w.WriteString("trigger_comm", o.TriggerComm);
                WriteNullable(w, "sunreclaim_kb", o.SUnreclaimKb);
                w.WriteStartArray("largest_caches");
                foreach (var c in o.LargestCaches)
                {
                    w.WriteStartObject();
                    w.WriteString("cache", c.Cache);
                    w.WriteNumber("objects", c.Objects);
                    w.WriteNumber("bytes", c.Bytes);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartArray("growing_caches");
                o.GrowingCaches.ToList().ForEach(w.WriteStringValue);
                w.WriteEndArray();
                break;
            case SlabAttributionFinding a:
                w.WriteBoolean("attribution", a.On);
                w.WriteStartArray("growing_caches");
                a.Caches.ToList().ForEach(w.WriteStringValue);
                w.WriteEndArray();
                break;
            default:
                throw new ArgumentException($"no JSON shape for slab finding {f.GetType().Name}", nameof(f));
        }

        w.WriteString("message", f.Message);
        w.WriteEndObject();
    }

    private static void WriteStacks(Utf8JsonWriter w, IReadOnlyList<StackShare> stacks)
    {
        w.WriteStartArray("top_stacks");
        foreach (var s in stacks)
        {
            w.WriteStartObject();
            w.WriteString("path", s.Path);
            w.WriteStartArray("frames");
            s.Frames.ToList().ForEach(w.WriteStringValue);
            w.WriteEndArray();
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

    private static void WriteNullable(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
