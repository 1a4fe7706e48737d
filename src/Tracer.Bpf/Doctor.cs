using Microsoft.Extensions.Logging;
using Tracer.Bpf.Attach;
using Tracer.Bpf.Paths;
using Tracer.Bpf.Resets;
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
    string? Tracefs,
    string? Bpffs,
    IReadOnlyList<string> Mounted,
    IReadOnlyList<(string Component, HookChoice Choice)> Hooks,
    string TcpIterator,
    string FileIterator)
{
    /// <summary>Hooks that work in a reduced mode on this kernel, in words.</summary>
    public IReadOnlyList<string> Notes => SlabComponent.ReducedModes(Hooks.Select(h => h.Choice)).ToList();

    /// <summary>Every BPF component of the project, in the order doctor reports them.</summary>
    public static IReadOnlyList<BpfComponent> Components { get; } = [TcpWindowComponent.Component, SlabComponent.Component, ResetComponent.Component];

    public static DoctorReport Run(BpfSettings settings, ILogger logger)
    {
        var btfSource = settings.BtfPath is { } path ? $"{path} (--btf)" : $"{KernelSupport.VmlinuxBtfPath} (kernel)";
        var loader = new ComponentLoader(settings, logger);
        var transport = settings.ChosenTransport();
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
            KernelFs.IsMounted(KernelFs.TracefsPath, "tracefs") ? KernelFs.TracefsPath : null,
            KernelFs.IsMounted(KernelFs.BpffsPath, "bpf") ? KernelFs.BpffsPath : null,
            loader.Mounted,
            hooks,
            ProbeTcpIterator(settings, logger),
            ProbeFileIterator(settings, logger));
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

    /// <summary>Runs bpf/fdscan.bpf.c once, as <c>tracer attach</c>'s data path walk does; /proc where refused.</summary>
    private static string ProbeFileIterator(BpfSettings settings, ILogger logger)
    {
        try
        {
            FdTable.FromIterator(settings, logger);
            return "iter/task_file";
        }
        catch (BpfException e) when (e.Errno is Errno.EPERM or Errno.EACCES)
        {
            return $"/proc (iter/task_file refused: {e.Operation}: {e.ErrnoName})";
        }
        catch (BpfException e)
        {
            return $"/proc (iter/task_file unavailable: {e.Operation}: {e.ErrnoName})";
        }
    }

    private static void ConfigureForProbe(BpfObject obj, BpfComponent component, Transport transport)
    {
        if (component == TcpWindowComponent.Component)
        {
            TcpWindowComponent.ConfigureTransport(obj, transport, new TcpTraceOptions().RingBufferBytes);
        }
    }
}
