using Tracer.Analysis.Findings;
using Tracer.Analysis.Tcp;

namespace Tracer.Report;

/// <summary>
/// The report's sink on the engine: every finding the analysis makes, and each connection's
/// state after every sample, for the charts.
/// </summary>
/// <param name="wallOffsetNs">The input's monotonic → Unix offset; null when it has none.</param>
/// <param name="findings">Where the findings go.</param>
public sealed class ReportCollector(long? wallOffsetNs, FindingLog findings) : IFindingSink
{
    private readonly Dictionary<ulong, ConnectionTrace> traces = [];

    public IEnumerable<ConnectionTrace> Traces => traces.Values;

    public void Emit(Finding finding) => findings.Add(ReportFinding.From(finding, wallOffsetNs));

    public void Analyzed(in TcpSample sample, TcpWindowAnalyzer analyzer)
    {
        ArgumentNullException.ThrowIfNull(analyzer);
        if (!analyzer.TryGet(sample.Cookie, out var view))
        {
            return;
        }

        if (!traces.TryGetValue(sample.Cookie, out var trace))
        {
            trace = new ConnectionTrace(sample.Cookie, sample.Pid, sample.Comm, sample.Endpoints, wallOffsetNs);
            traces.Add(sample.Cookie, trace);
        }

        trace.Add(sample, view);
    }
}
