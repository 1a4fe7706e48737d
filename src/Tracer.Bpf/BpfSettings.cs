using Tracer.Bpf.Attach;

namespace Tracer.Bpf;

/// <summary>How events cross from the kernel: BPF ring buffer (Linux 5.8+) or per-CPU perf buffers.</summary>
public enum Transport
{
    Auto,
    RingBuffer,
    PerfBuffer,
}

/// <summary>
/// Loader settings shared by every command. <see cref="ForcedMethod"/> and
/// <see cref="Transport"/> restrict the fallback so tests can run every path
/// the kernel supports; they come from options or the environment
/// (TRACER_ATTACH, TRACER_TRANSPORT).
/// </summary>
public sealed record BpfSettings
{
    public const string AttachVariable = "TRACER_ATTACH";
    public const string TransportVariable = "TRACER_TRANSPORT";

    /// <summary>An external BTF file for CO-RE when the kernel has none at /sys/kernel/btf/vmlinux.</summary>
    public string? BtfPath { get; init; }

    public AttachMethod? ForcedMethod { get; init; }

    public Transport Transport { get; init; } = Transport.Auto;

    /// <summary>Reads TRACER_ATTACH and TRACER_TRANSPORT; an invalid value is an error, not ignored.</summary>
    public static BpfSettings FromEnvironment(string? btfPath = null, string? attach = null, string? transport = null)
    {
        attach ??= Environment.GetEnvironmentVariable(AttachVariable);
        transport ??= Environment.GetEnvironmentVariable(TransportVariable);
        return new BpfSettings
        {
            BtfPath = btfPath,
            ForcedMethod = ParseMethod(attach),
            Transport = ParseTransport(transport),
        };
    }

    public static AttachMethod? ParseMethod(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return AttachMethodNames.TryParse(text, out var method)
            ? method
            : throw new ArgumentException($"unknown attach method '{text}' (one of {AttachMethodNames.AllLabels})");
    }

    public static Transport ParseTransport(string? text) => text switch
    {
        null or "" or "auto" => Transport.Auto,
        "ringbuf" => Transport.RingBuffer,
        "perfbuf" => Transport.PerfBuffer,
        _ => throw new ArgumentException($"unknown transport '{text}' (one of auto, ringbuf, perfbuf)"),
    };
}
