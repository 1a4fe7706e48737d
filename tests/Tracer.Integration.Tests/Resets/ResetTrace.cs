using Tracer.Analysis.Findings;
using Tracer.Analysis.Resets;
using Tracer.Bpf;
using Tracer.Pipeline;
using Tracer.Pipeline.Sources;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests.Resets;

/// <summary>The reset source and the engine in this process, on a thread, collecting findings until disposed.</summary>
public sealed class ResetTrace : IDisposable, IFindingSink
{
    private readonly List<Finding> findings = [];
    private readonly ResetSource source;
    private readonly Thread thread;
    private volatile bool done;

    public ResetTrace(ITestOutputHelper output, ResetAnalyzerOptions? options = null, BpfSettings? settings = null)
    {
        var log = new TestLog(output);
        source = ResetSource.Start(settings ?? new BpfSettings(), log);
        var engine = new Engine(new EngineOptions { ResetAnalysis = options ?? new ResetAnalyzerOptions(), Housekeeping = TimeSpan.FromMilliseconds(200), Done = () => done }, this, log);
        thread = new Thread(() =>
        {
            using var stop = new StopSignal(null);
            engine.Run(new EngineSources(Resets: source), stop);
        });
        thread.Start();
    }

    /// <summary>Stops the trace (open closes are reported with what was seen) and returns every finding.</summary>
    public IReadOnlyList<Finding> Stop()
    {
        done = true;
        thread.Join();
        lock (findings)
        {
            return [.. findings];
        }
    }

    public void Emit(Finding finding)
    {
        lock (findings)
        {
            findings.Add(finding);
        }
    }

    public void Dispose()
    {
        if (thread.IsAlive)
        {
            Stop();
        }

        source.Dispose();
    }
}
