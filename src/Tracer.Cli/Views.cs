using Tracer.Analysis.Findings;
using Tracer.Output;
using Tracer.Pipeline;

namespace Tracer.Cli;

/// <summary>The output a command shows, chosen by <c>--json</c> and whether stdout is a terminal.</summary>
public sealed class Views : IDisposable
{
    private readonly IDisposable? owned;

    private Views(IFindingSink sink, IDisposable? owned)
    {
        Sink = sink;
        this.owned = owned;
    }

    public IFindingSink Sink { get; }

    /// <summary>Connections: JSON lines (with every sample when asked), the live view on a terminal, else text lines.</summary>
    public static Views Connections(string title, bool json, bool samples = false)
    {
        if (json)
        {
            var output = new JsonLinesOutput(StandardOutput.Open(), Clock.ToWallClock, samples);
            return new Views(output, output);
        }

        if (!Console.IsOutputRedirected)
        {
            var live = new LiveView(Console.Out, title);
            return new Views(live, live);
        }

        return new Views(new TextOutput(Console.Out, Clock.ToWallClock), null);
    }

    /// <summary>Slab caches: JSON lines, the live view on a terminal, else a table per interval and the findings as lines.</summary>
    public static Views Slab(int top, bool json, bool growthLines)
    {
        if (json)
        {
            var output = new JsonLinesOutput(StandardOutput.Open(), Clock.ToWallClock);
            return new Views(output, output);
        }

        if (!Console.IsOutputRedirected)
        {
            var live = new SlabLiveView(Console.Out, top);
            return new Views(live, live);
        }

        return new Views(new FindingFanOut(new TextOutput(Console.Out, Clock.ToWallClock, growthLines), new SlabTable(Console.Out, top)), null);
    }

    /// <summary>Findings as they come: JSON lines, else text lines.</summary>
    public static Views Findings(bool json)
    {
        if (json)
        {
            var output = new JsonLinesOutput(StandardOutput.Open(), Clock.ToWallClock);
            return new Views(output, output);
        }

        return new Views(new TextOutput(Console.Out, Clock.ToWallClock), null);
    }

    public void Dispose() => owned?.Dispose();
}
