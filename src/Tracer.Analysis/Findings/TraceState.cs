using Tracer.Analysis.Overhead;
using Tracer.Analysis.Slab;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Findings;

/// <summary>
/// What the engine knows at a housekeeping tick, for live views and gauges. The analyzers
/// are the engine's own: read them during <see cref="IFindingSink.Tick"/>, never keep them.
/// </summary>
/// <param name="NowNs">The engine's clock: CLOCK_MONOTONIC for a live trace, the latest sample's time for a file.</param>
/// <param name="Samples">TCP samples delivered so far.</param>
public sealed record TraceState(ulong NowNs, ulong Samples, LoadState Load, TcpWindowAnalyzer? Tcp, SlabState? Slab);

/// <summary>The slab side of a <see cref="TraceState"/>.</summary>
/// <param name="Latest">The interval just observed.</param>
/// <param name="PerObject">Whether the per-object hooks (counts in the kernel, sampled attribution) are attached.</param>
/// <param name="AttributionFull">Sampled allocations the kernel's attribution table had no room for, so far.</param>
public sealed record SlabState(SlabGrowthAnalyzer Analyzer, SlabInterval Latest, bool PerObject, ulong AttributionFull);
