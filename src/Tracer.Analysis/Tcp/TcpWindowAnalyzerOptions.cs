namespace Tracer.Analysis.Tcp;

public sealed record TcpWindowAnalyzerOptions
{
    /// <summary>Connections without a sample for this long (by sample time) are forgotten.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>At most this many connections are tracked; the least recently seen one makes room.</summary>
    public int MaxConnections { get; init; } = 65536;

    /// <summary>
    /// A zero-window episode is reported once it has lasted this long (or at once when it is
    /// stuck or was already under way when first seen). Busy receivers close and reopen
    /// their window many times a second; those blips are only counted.
    /// </summary>
    public TimeSpan ZeroWindowReportAfter { get; init; } = TimeSpan.FromMilliseconds(200);
}
