namespace Tracer.Analysis.Tcp;

public sealed record TcpWindowAnalyzerOptions
{
    /// <summary>Connections without a sample for this long (by sample time) are forgotten.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>At most this many connections are tracked; the least recently seen one makes room.</summary>
    public int MaxConnections { get; init; } = 65536;
}
