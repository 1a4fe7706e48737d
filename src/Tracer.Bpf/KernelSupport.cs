using Tracer.Interop;

namespace Tracer.Bpf;

/// <summary>Facts about the running kernel, each found by looking, never by version number.</summary>
public static class KernelSupport
{
    public const string VmlinuxBtfPath = "/sys/kernel/btf/vmlinux";
    private const string KprobePmuPath = "/sys/bus/event_source/devices/kprobe";
    private const string KprobeEventsPath = "/sys/kernel/tracing/kprobe_events";

    // capability numbers from linux/capability.h
    private const int CapSysAdmin = 21;
    private const int CapPerfmon = 38;
    private const int CapBpf = 39;

    public static string KernelRelease => File.ReadAllText("/proc/sys/kernel/osrelease").Trim();

    public static bool HasVmlinuxBtf => File.Exists(VmlinuxBtfPath);

    /// <summary>kprobes exist when the kprobe PMU or tracefs's kprobe_events is there (CONFIG_KPROBES).</summary>
    public static bool HasKprobes => Directory.Exists(KprobePmuPath) || File.Exists(KprobeEventsPath);

    /// <summary>Whether the kernel creates BPF_MAP_TYPE_RINGBUF maps (libbpf's real probe).</summary>
    public static bool HasRingBuffer => BpfFeatures.ProbeRingBuffer();

    /// <summary>The capabilities loading and attaching needs that this process lacks; empty when it has them.</summary>
    public static IReadOnlyList<string> MissingCapabilities()
    {
        var effective = EffectiveCapabilities();
        bool Has(int cap) => (effective & (1UL << cap)) != 0;
        if (Has(CapSysAdmin) || (Has(CapBpf) && Has(CapPerfmon)))
        {
            return [];
        }

        var missing = new List<string>();
        if (!Has(CapBpf))
        {
            missing.Add("CAP_BPF");
        }

        if (!Has(CapPerfmon))
        {
            missing.Add("CAP_PERFMON");
        }

        return missing;
    }

    private static ulong EffectiveCapabilities()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("CapEff:", StringComparison.Ordinal))
            {
                return Convert.ToUInt64(line["CapEff:".Length..].Trim(), 16);
            }
        }

        return 0;
    }
}
