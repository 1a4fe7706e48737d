using Tracer.Interop.Native;

namespace Tracer.Interop;

/// <summary>libbpf's feature probes: each loads a tiny map or program into the running kernel.</summary>
public static unsafe class BpfFeatures
{
    public static bool ProbeRingBuffer() => ProbeMap(bpf_map_type.BPF_MAP_TYPE_RINGBUF);

    private static bool ProbeMap(bpf_map_type type)
    {
        var result = LibBpf.libbpf_probe_bpf_map_type(type, null);
        return Errno.Check(result, "libbpf_probe_bpf_map_type", type.ToString()) == 1;
    }
}
