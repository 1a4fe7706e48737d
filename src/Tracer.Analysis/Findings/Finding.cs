namespace Tracer.Analysis.Findings;

public enum Severity : byte
{
    Info = 0,
    Warning = 1,
    Critical = 2,
}

/// <summary>Receives findings as the analyzer makes them, on the analyzer's thread.</summary>
public interface IFindingSink
{
    void Emit(Finding finding);
}

/// <summary>
/// Something an analyzer concluded about one connection at one instant, with the
/// numbers behind it. <see cref="Kind"/> is stable and machine-readable;
/// <see cref="Message"/> is for people.
/// </summary>
public abstract record Finding(ulong TimestampNs, ulong Cookie, int Pid, string Comm, Endpoints Endpoints)
{
    public abstract string Kind { get; }

    public abstract Severity Severity { get; }

    public abstract string Message { get; }

    /// <summary>Samples of this connection lost (kernel buffer full) over the span the finding covers.</summary>
    public ulong LostSamples { get; init; }

    /// <summary>True when <see cref="LostSamples"/> is not 0: the finding rests on an incomplete sample stream.</summary>
    public bool PossiblyIncomplete => LostSamples > 0;
}
