using Microsoft.Extensions.Logging;

namespace Tracer.Telemetry;

/// <summary>
/// Counts what the exporters could not deliver, per signal, and says so in the log:
/// the first failure at once, then at most one summary per <see cref="LogEvery"/>, and
/// a line when delivery works again. Called from the exporters' threads.
/// </summary>
public sealed class ExportHealth(ILogger logger)
{
    public static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(10);

    private readonly Lock gate = new();
    private readonly Dictionary<string, SignalState> signals = new(StringComparer.Ordinal);

    /// <summary>Items lost so far, all signals.</summary>
    public long Lost
    {
        get
        {
            lock (gate)
            {
                return signals.Values.Sum(s => s.Lost);
            }
        }
    }

    public long LostOf(string signal)
    {
        lock (gate)
        {
            return signals.TryGetValue(signal, out var s) ? s.Lost : 0;
        }
    }

    public void Failed(string signal, long items, string destination, string? reason = null)
    {
        TracerTelemetry.ExportLost.Add(items, new KeyValuePair<string, object?>(TelemetryAttributes.TelemetrySignal, signal));
        lock (gate)
        {
            var s = State(signal);
            s.Lost += items;
            s.Failing = true;
            var now = Environment.TickCount64;
            if (now - s.LastLoggedMs < (long)LogEvery.TotalMilliseconds)
            {
                return;
            }

            s.LastLoggedMs = now;
            logger.LogWarning("telemetry export of {Signal} to {Destination} failed{Reason}: {Items} item(s) lost in this batch, {Lost} {Signal} lost so far",
                signal, destination, reason is null ? "" : $" ({reason})", items, s.Lost, signal);
        }
    }

    public void Succeeded(string signal, string destination)
    {
        lock (gate)
        {
            var s = State(signal);
            if (!s.Failing)
            {
                return;
            }

            s.Failing = false;
            s.LastLoggedMs = long.MinValue / 2;
            logger.LogWarning("telemetry export of {Signal} to {Destination} works again; {Lost} {Signal} were lost while it did not", signal, destination, s.Lost, signal);
        }
    }

    private SignalState State(string signal)
    {
        if (!signals.TryGetValue(signal, out var s))
        {
            s = new SignalState { LastLoggedMs = long.MinValue / 2 };
            signals[signal] = s;
        }

        return s;
    }

    private sealed class SignalState
    {
        public long Lost;
        public bool Failing;
        public long LastLoggedMs;
    }
}
