using Microsoft.Extensions.Logging;
using Tracer.Analysis.Overhead;
using Tracer.Bpf;
using Tracer.Bpf.Attach;
using Tracer.Bpf.Tcp;
using Tracer.Interop;

namespace Tracer.Pipeline.Sources;

/// <summary>TCP window samples from the kernel, as the BPF program on the ACK path emits them.</summary>
public sealed class LiveTcpSource : ITcpSampleSource
{
    private readonly TcpWindowTracer tracer;

    private LiveTcpSource(TcpWindowTracer tracer) => this.tracer = tracer;

    public ulong NowNs => Clock.MonotonicNowNsUnsigned;

    /// <summary>Each hook and the attach method the kernel accepted.</summary>
    public IReadOnlyList<HookChoice> Choices => tracer.Choices;

    public DetailLevel Detail
    {
        set => tracer.Detail = value;
    }

    /// <summary>Loads and attaches the TCP programs; the memory start-up needed is given back before tracing begins.</summary>
    public static LiveTcpSource Start(BpfSettings settings, TcpTraceOptions options, ILogger logger)
    {
        var tracer = TcpWindowTracer.Start(settings, options, logger);
        foreach (var choice in tracer.Choices)
        {
            logger.LogDebug("{Choice}", choice);
        }

        ProcessMemory.ReleaseStartup();
        return new LiveTcpSource(tracer);
    }

    public bool WaitOn(WaitSet waits)
    {
        ArgumentNullException.ThrowIfNull(waits);
        waits.Add(tracer.WaitFd, "TCP window events");
        return true;
    }

    public bool Poll(TcpSampleHandler onSample)
    {
        tracer.Poll(0, onSample);
        return true;
    }

    public void Drain(TcpSampleHandler onSample) => tracer.Poll(0, onSample);

    public LoadState Load(ulong samples) => tracer.Load(samples);

    public void Dispose() => tracer.Dispose();
}
