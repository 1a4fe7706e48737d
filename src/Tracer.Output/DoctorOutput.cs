using System.Text.Json;
using Tracer.Bpf;

namespace Tracer.Output;

/// <summary><c>tracer doctor</c>'s report as text lines or one JSON object.</summary>
public static class DoctorOutput
{
    public static IEnumerable<string> Lines(DoctorReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        yield return $"kernel:        {report.KernelRelease}";
        yield return $"BTF:           {report.BtfSource}";
        yield return $"ring buffer:   {(report.RingBuffer ? "yes" : "no (Linux 5.8+)")}; transport: {Label(report.Transport)}";
        yield return $"kprobes:       {(report.Kprobes ? "yes" : "no (CONFIG_KPROBES off)")}";
        var tracefsNote = report.Mounted.Any(m => m.StartsWith("tracefs", StringComparison.Ordinal)) ? " (mounted by tracer for classic tracepoints)" : "";
        yield return $"tracefs:       {report.Tracefs ?? "not mounted"}{tracefsNote}";
        yield return $"bpffs:         {report.Bpffs ?? "not mounted (needed only to pin)"}";
        yield return $"tcp snapshot:  {report.TcpIterator} (tracer attach)";
        yield return $"data path fds: {report.FileIterator} (tracer attach)";
        yield return "hooks:";
        foreach (var (_, choice) in report.Hooks)
        {
            yield return $"  {choice}";
        }

        foreach (var note in report.Notes)
        {
            yield return $"note: {note}";
        }
    }

    public static void WriteJson(Utf8JsonWriter json, DoctorReport report)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(report);
        json.WriteStartObject();
        json.WriteString("kernel_release", report.KernelRelease);
        json.WriteString("btf", report.BtfSource);
        json.WriteBoolean("ring_buffer", report.RingBuffer);
        json.WriteString("transport", Label(report.Transport));
        json.WriteBoolean("kprobes", report.Kprobes);
        json.WriteBoolean("tracefs_mounted", report.Tracefs is not null);
        json.WriteBoolean("bpffs_mounted", report.Bpffs is not null);
        json.WriteString("tcp_snapshot", report.TcpIterator);
        json.WriteString("data_path_fds", report.FileIterator);
        Strings(json, "mounted_by_tracer", report.Mounted);
        json.WriteStartArray("hooks");
        foreach (var (component, choice) in report.Hooks)
        {
            json.WriteStartObject();
            json.WriteString("hook", choice.Hook.Name);
            json.WriteString("object", component);
            json.WriteBoolean("required", choice.Hook.Required);
            if (choice.Chosen is { } chosen)
            {
                json.WriteString("chosen", chosen.ToString());
            }
            else
            {
                json.WriteNull("chosen");
            }

            json.WriteStartArray("refused");
            foreach (var refusal in choice.Refusals)
            {
                json.WriteStartObject();
                json.WriteString("method", refusal.Candidate.ToString());
                json.WriteString("reason", refusal.Reason);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        Strings(json, "notes", report.Notes);
        json.WriteEndObject();
    }

    public static string Label(Transport transport) => transport switch
    {
        Transport.RingBuffer => "ringbuf",
        Transport.PerfBuffer => "perfbuf",
        _ => "auto",
    };

    private static void Strings(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (var v in values)
        {
            json.WriteStringValue(v);
        }

        json.WriteEndArray();
    }
}
