using Microsoft.Extensions.Logging;
using Tracer.Analysis.Resets;
using Tracer.Bpf;
using Tracer.Bpf.Attach;
using Tracer.Bpf.Resets;
using Tracer.Interop;

namespace Tracer.Pipeline.Sources;

/// <summary>Listener lifecycles and the RSTs this host sends, from the kernel; the listeners already there first.</summary>
public sealed class ResetSource : IDisposable
{
    private readonly ResetTracer tracer;
    private readonly BpfSettings settings;

    private ResetSource(ResetTracer tracer, BpfSettings settings)
    {
        this.tracer = tracer;
        this.settings = settings;
    }

    /// <summary>Each hook and the attach method the kernel accepted.</summary>
    public IReadOnlyList<HookChoice> Choices => tracer.Choices;

    public static ResetSource Start(BpfSettings settings, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var tracer = ResetTracer.Start(settings, logger);
        foreach (var choice in tracer.Choices)
        {
            logger.LogDebug("{Choice}", choice);
        }

        return new ResetSource(tracer, settings);
    }

    /// <summary>As <see cref="Start"/>, or null with a warning saying why the kernel refused: the other detectors go on without it.</summary>
    public static ResetSource? TryStart(BpfSettings settings, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        try
        {
            return Start(settings, logger);
        }
        catch (Exception e) when (e is BpfException or HookUnavailableException or NotSupportedException)
        {
            logger.LogWarning("reset tracking is off: {Reason}", e.Message);
            return null;
        }
    }

    /// <summary>The listeners there before the trace, with their SO_REUSEPORT groups and owners.</summary>
    public IReadOnlyList<ListenerSample> Existing() => tracer.ExistingListeners(settings);

    /// <summary>Adds the descriptor that becomes readable when the kernel wakes the reader.</summary>
    public void WaitOn(WaitSet waits)
    {
        ArgumentNullException.ThrowIfNull(waits);
        waits.Add(tracer.WaitFd, "reset events");
    }

    /// <summary>Hands every record that arrived to <paramref name="onSample"/>, without waiting.</summary>
    public void Poll(Action<ResetSample> onSample) => tracer.Poll(0, onSample);

    public void Dispose() => tracer.Dispose();
}
