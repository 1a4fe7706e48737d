using Microsoft.Extensions.Logging;
using Tracer.Bpf.Attach;
using Tracer.Interop;

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

    /// <summary>Sends libbpf's own messages (load steps, verifier logs) to <paramref name="logger"/>.</summary>
    public static void RouteLibbpfLog(ILogger logger) => LibbpfLog.Route(logger);

    /// <summary>The transport to use on this kernel: the ring buffer when it has one, unless forced.</summary>
    public Transport ChosenTransport() => Transport switch
    {
        Transport.Auto => KernelSupport.HasRingBuffer ? Transport.RingBuffer : Transport.PerfBuffer,
        Transport.RingBuffer when !KernelSupport.HasRingBuffer =>
            throw new NotSupportedException("this kernel has no BPF ring buffer (Linux 5.8+); use the perf buffer transport"),
        var forced => forced,
    };

    public static string UnknownMethod => $"unknown attach method; use {AttachMethodNames.AllLabels}";

    public const string UnknownTransport = "unknown transport; use auto, ringbuf or perfbuf";

    /// <summary>
    /// The method and transport given, else TRACER_ATTACH and TRACER_TRANSPORT (empty is unset);
    /// an invalid variable is an <see cref="ArgumentException"/> naming it, not ignored.
    /// </summary>
    public static BpfSettings FromEnvironment(string? btfPath = null, AttachMethod? attach = null, Transport? transport = null) => new()
    {
        BtfPath = btfPath,
        ForcedMethod = attach ?? MethodFromEnvironment(),
        Transport = transport ?? TransportFromEnvironment(),
    };

    public static bool TryParseTransport(string text, out Transport transport)
    {
        Transport? known = text switch
        {
            "auto" => Transport.Auto,
            "ringbuf" => Transport.RingBuffer,
            "perfbuf" => Transport.PerfBuffer,
            _ => null,
        };
        transport = known ?? Transport.Auto;
        return known is not null;
    }

    private static AttachMethod? MethodFromEnvironment()
    {
        if (Environment.GetEnvironmentVariable(AttachVariable) is not { Length: > 0 } text)
        {
            return null;
        }

        return AttachMethodNames.TryParse(text, out var method) ? method : throw new ArgumentException($"{AttachVariable} {text}: {UnknownMethod}");
    }

    private static Transport TransportFromEnvironment()
    {
        if (Environment.GetEnvironmentVariable(TransportVariable) is not { Length: > 0 } text)
        {
            return Transport.Auto;
        }

        return TryParseTransport(text, out var transport) ? transport : throw new ArgumentException($"{TransportVariable} {text}: {UnknownTransport}");
    }
}
