using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tracer.Bpf.Attach;
using Tracer.Bpf.Slab;
using Tracer.Bpf.Snapshot;
using Tracer.Bpf.Tcp;
using Tracer.Interop;

namespace Tracer.Bpf;

/// <summary>What the running kernel allows, found by real attempts: the content of <c>tracer doctor</c>.</summary>
public sealed record DoctorReport(
    string KernelRelease,
    string BtfSource,
    bool RingBuffer,
    Transport Transport,
    bool Kprobes,
    bool TracefsMounted,
    bool BpffsMounted,
    IReadOnlyList<string> Mounted,
    IReadOnlyList<(string Component, HookChoice Choice)> Hooks,
    string TcpIterator)
{
    /// <summary>Every BPF component of the project, in the order doctor reports them.</summary>
    public static IReadOnlyList<BpfComponent> Components { get; } = [TcpWindowComponent.Component, SlabComponent.Component];

    public static DoctorReport Run(BpfSettings settings, ILogger logger)
    {
        var btfSource = settings.BtfPath is { } path ? $"{path} (--btf)" : $"{KernelSupport.VmlinuxBtfPath} (kernel)";
        var loader = new ComponentLoader(settings, logger);
        var transport = TcpWindowTracer.ChooseTransport(settings);
        var hooks = new List<(string, HookChoice)>();
        foreach (var component in Components)
        {
            foreach (var choice in loader.Probe(component, obj => ConfigureForProbe(obj, component, transport)))
            {
                hooks.Add((component.ObjectName, choice));
            }
        }

        return new DoctorReport(
            KernelSupport.KernelRelease,
            btfSource,
            KernelSupport.HasRingBuffer,
            transport,
            KernelSupport.HasKprobes,
            KernelFs.IsMounted(KernelFs.TracefsPath, "tracefs"),
            KernelFs.IsMounted(KernelFs.BpffsPath, "bpf"),
            loader.Mounted,
            hooks,
            ProbeTcpIterator(settings, logger));
    }

    /// <summary>Loads bpf/tcpsnap.bpf.c and runs its iterator once, as <c>tracer attach</c> does.</summary>
    private static string ProbeTcpIterator(BpfSettings settings, ILogger logger)
    {
        var nothing = new SnapshotTarget(Pid: null, Comm: null, Port: 1);
        try
        {
            TcpSnapshotReader.Take(settings, nothing, nothing.Resolve(), logger);
            return "iter/tcp";
        }
        catch (BpfException e) when (e.Errno is Errno.EPERM or Errno.EACCES)
        {
            return $"refused ({e.Operation}: {e.ErrnoName})";
        }
        catch (BpfException e)
        {
            return $"unavailable ({e.Operation}: {e.ErrnoName}); tracer attach needs Linux 5.9+";
        }
    }

    public IEnumerable<string> Lines()
    {
        yield return $"kernel:        {KernelRelease}";
        yield return $"BTF:           {BtfSource}";
        yield return $"ring buffer:   {(RingBuffer ? "yes" : "no (Linux 5.8+)")}; transport: {Label(Transport)}";
        yield return $"kprobes:       {(Kprobes ? "yes" : "no (CONFIG_KPROBES off)")}";
        yield return $"tracefs:       {(TracefsMounted ? KernelFs.TracefsPath : "not mounted")}{MountedNote("tracefs")}";
        yield return $"bpffs:         {(BpffsMounted ? KernelFs.BpffsPath : "not mounted (needed only to pin)")}";
        yield return $"tcp snapshot:  {TcpIterator} (tracer attach)";
        yield return "hooks:";
        foreach (var (_, choice) in Hooks)
        {
            yield return $"  {choice}";
        }

        foreach (var note in SlabComponent.ReducedModes(Hooks.Select(h => h.Choice)))
        {
            yield return $"note: {note}";
        }
    }

    public void WriteJson(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("kernel_release", KernelRelease);
        json.WriteString("btf", BtfSource);
        json.WriteBoolean("ring_buffer", RingBuffer);
        json.WriteString("transport", Label(Transport));
        json.WriteBoolean("kprobes", Kprobes);
        json.WriteBoolean("tracefs_mounted", TracefsMounted);
        json.WriteBoolean("bpffs_mounted", BpffsMounted);
        json.WriteString("tcp_snapshot", TcpIterator);
        json.WriteStartArray("mounted_by_tracer");
        Mounted.ToList().ForEach(json.WriteStringValue);
        json.WriteEndArray();
        json.WriteStartArray("hooks");
        foreach (var (component, choice) in Hooks)
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
        json.WriteStartArray("notes");
        SlabComponent.ReducedModes(Hooks.Select(h => h.Choice)).ToList().ForEach(json.WriteStringValue);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    public static string Label(Transport transport) => transport switch
    {
        Transport.RingBuffer => "ringbuf",
        Transport.PerfBuffer => "perfbuf",
        _ => "auto",
    };

    private string MountedNote(string fs) =>
        Mounted.Any(m => m.StartsWith(fs, StringComparison.Ordinal)) ? " (mounted by tracer for classic tracepoints)" : string.Empty;

    private static void ConfigureForProbe(BpfObject obj, BpfComponent component, Transport transport)
    {
        if (component == TcpWindowComponent.Component)
        {
            TcpWindowTracer.ConfigureTransport(obj, transport, new TcpTraceOptions());
        }
    }
}
