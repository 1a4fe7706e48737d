using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Findings;

/// <summary>Hands every finding, sample and tick to each sink, in order.</summary>
public sealed class FindingFanOut(params IReadOnlyList<IFindingSink> sinks) : IFindingSink
{
    public void Emit(Finding finding)
    {
        foreach (var sink in sinks)
        {
            sink.Emit(finding);
        }
    }

    public void Sample(in TcpSample sample)
    {
        foreach (var sink in sinks)
        {
            sink.Sample(sample);
        }
    }

    public void Analyzed(in TcpSample sample, TcpWindowAnalyzer analyzer)
    {
        foreach (var sink in sinks)
        {
            sink.Analyzed(sample, analyzer);
        }
    }

    public void Tick(TraceState state)
    {
        foreach (var sink in sinks)
        {
            sink.Tick(state);
        }
    }
}
