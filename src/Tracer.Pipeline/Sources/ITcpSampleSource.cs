using Tracer.Analysis.Overhead;
using Tracer.Bpf.Tcp;
using Tracer.Interop;

namespace Tracer.Pipeline.Sources;

/// <summary>Where the engine's TCP samples come from: the kernel, a file, a socket snapshot.</summary>
public interface ITcpSampleSource : IDisposable
{
    /// <summary>The source's clock: CLOCK_MONOTONIC now for a live source, the latest sample's time for a file.</summary>
    ulong NowNs { get; }

    /// <summary>
    /// Adds to <paramref name="waits"/> the descriptors that become readable when samples arrive (now,
    /// or once the source starts tracing); false for a source read without waiting (a file).
    /// </summary>
    bool WaitOn(WaitSet waits);

    /// <summary>Hands every sample that arrived to <paramref name="onSample"/>, without waiting; false once the source has nothing more to give.</summary>
    bool Poll(TcpSampleHandler onSample);

    /// <summary>Hands over what is already queued, without waiting: called once before the engine stops.</summary>
    void Drain(TcpSampleHandler onSample);

    /// <summary>The totals of the source's load: <paramref name="samples"/> delivered, what the kernel held back or dropped.</summary>
    LoadState Load(ulong samples);

    /// <summary>How much detail the source sends (overhead control); a file ignores it.</summary>
    DetailLevel Detail { set; }
}
