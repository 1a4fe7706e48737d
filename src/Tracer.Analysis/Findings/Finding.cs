using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Findings;

public enum Severity : byte
{
    Info = 0,
    Warning = 1,
    Critical = 2,
}

/// <summary>
/// Where findings go: text, a live view, JSON lines, OpenTelemetry. Called on the engine's
/// thread. Besides findings, a sink may take each decoded sample (a recording, every-segment
/// JSON), the analyzer's view of the connection once the sample is analyzed (a report's charts),
/// and the engine's state at each housekeeping tick (a live view, gauges).
/// </summary>
public interface IFindingSink
{
    void Emit(Finding finding);

    void Sample(in TcpSample sample)
    {
    }

    /// <summary>After the analyzer observed <paramref name="sample"/>: read its connection from <paramref name="analyzer"/> now, never keep it.</summary>
    void Analyzed(in TcpSample sample, TcpWindowAnalyzer analyzer)
    {
    }

    void Tick(TraceState state)
    {
    }
}

/// <summary>
/// Something an analyzer concluded at one instant, with the numbers behind it.
/// <see cref="Kind"/> is stable and machine-readable; <see cref="Message"/> is for people;
/// <see cref="Describe"/> declares every other field once, for every renderer.
/// </summary>
public abstract record Finding(ulong TimestampNs)
{
    public abstract FindingKind Kind { get; }

    public abstract Severity Severity { get; }

    public abstract string Message { get; }

    /// <summary>The process the finding is about (a connection's owner, a leak's main allocator), 0 when none or unknown.</summary>
    public virtual int OwnerPid => 0;

    /// <summary>The container and pod of <see cref="OwnerPid"/>, when a live trace could read them (the engine fills it in).</summary>
    public ContainerIdentity Container { get; init; }

    /// <summary>Hands every field of the finding, besides kind, severity, time and message, to <paramref name="fields"/>, in a fixed order.</summary>
    public abstract void Describe(IFindingFields fields);
}

/// <summary>A finding about one TCP connection: its identity comes first in every rendering.</summary>
public abstract record ConnectionFinding(ulong TimestampNs, ulong Cookie, int Pid, string Comm, Endpoints Endpoints) : Finding(TimestampNs)
{
    /// <summary>Samples of this connection lost (kernel buffer full) over the span the finding covers.</summary>
    public ulong LostSamples { get; init; }

    /// <summary>True when <see cref="LostSamples"/> is not 0: the finding rests on an incomplete sample stream.</summary>
    public bool PossiblyIncomplete => LostSamples > 0;

    public override int OwnerPid => Pid;

    public sealed override void Describe(IFindingFields fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        fields.Connection(new ConnectionIdentity(Cookie, Pid, Comm, Endpoints, LostSamples, Container));
        DescribeDetail(fields);
    }

    /// <summary>The kind's own fields, after the connection's identity.</summary>
    protected abstract void DescribeDetail(IFindingFields fields);
}

/// <summary>The process behind a finding that is not about a connection (a slab leak's main allocator), with its container and pod.</summary>
public readonly record struct ProcessIdentity(int Pid, string Comm, ContainerIdentity Container);

/// <summary>Who and what a connection finding is about; <see cref="Pid"/> 0 when the owner is unknown.</summary>
public readonly record struct ConnectionIdentity(ulong Cookie, int Pid, string Comm, Endpoints Endpoints, ulong LostSamples, ContainerIdentity Container = default);
