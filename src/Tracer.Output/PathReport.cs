using System.Globalization;
using System.Text.Json;
using Tracer.Analysis.DataPath;

namespace Tracer.Output;

/// <summary>
/// The data path of <c>tracer attach</c>: in text, the chain from the target to the hop that
/// holds the transfer, one hop a line; with --json, one <c>attach.path</c> object with the graph
/// (nodes: processes and channels; edges: who writes and who reads each channel) and the verdict.
/// </summary>
public static class PathReport
{
    public const string Kind = "attach.path";

    public static void WriteText(TextWriter w, PathGraph graph, PathVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(verdict);
        var c = CultureInfo.InvariantCulture;
        w.WriteLine(string.Create(c, $"data path: {graph.Processes.Count} process(es), {graph.Links.Select(l => l.Channel).Distinct().Count()} channel(s); {StateWord(verdict.State)}"));
        foreach (var hop in verdict.Chain)
        {
            w.WriteLine(hop.Pid is null ? $"    └─ {hop.Text}" : $"  {hop.Text}");
        }

        if (verdict.Chain.Count == 0)
        {
            w.WriteLine($"  {verdict.Message}");
        }
    }

    public static void WriteJson(Utf8JsonWriter w, PathGraph graph, PathVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(verdict);
        w.WriteStartObject();
        w.WriteString("kind", Kind);
        AttachReport.WriteNow(w);
        w.WriteStartArray("targets");
        graph.Targets.ToList().ForEach(w.WriteNumberValue);
        w.WriteEndArray();
        w.WriteStartArray("nodes");
        foreach (var p in graph.Processes)
        {
            w.WriteStartObject();
            w.WriteString("id", Id(p.Pid));
            w.WriteString("type", "process");
            w.WriteNumber("pid", p.Pid);
            w.WriteNumber("ppid", p.ParentPid);
            w.WriteString("comm", p.Comm);
            w.WriteString("state", StateName(p.State));
            w.WriteNumber("threads", p.Threads);
            if (p.Call is { } call)
            {
                w.WriteString("syscall", call.Name);
                if (call.Fd is { } fd)
                {
                    w.WriteNumber("syscall_fd", fd);
                }
            }

            w.WriteString("wchan", p.Wchan);
            w.WriteEndObject();
        }

        foreach (var l in graph.Links)
        {
            w.WriteStartObject();
            w.WriteString("id", l.Channel + (graph.Links.Count(o => o.Channel == l.Channel) > 1 ? $"#{string.Join(",", l.Writers)}" : ""));
            w.WriteString("type", l.Kind switch { ChannelKind.Pipe => "pipe", ChannelKind.Fifo => "fifo", ChannelKind.Unix => "unix", _ => "tcp" });
            w.WriteString("channel", l.Channel);
            if (l.Remote is { } remote)
            {
                w.WriteString("remote", remote);
            }

            w.WriteNumber("queued", l.Queued);
            w.WriteNumber("capacity", l.Capacity);
            w.WriteBoolean("full", l.Full);
            w.WriteString("detail", l.Detail);
            w.WriteStartArray("cookies");
            l.Cookies.ToList().ForEach(w.WriteNumberValue);
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("edges");
        foreach (var l in graph.Links)
        {
            var id = l.Channel + (graph.Links.Count(o => o.Channel == l.Channel) > 1 ? $"#{string.Join(",", l.Writers)}" : "");
            l.Writers.ToList().ForEach(pid => Edge(w, Id(pid), id, "writes"));
            l.Readers.ToList().ForEach(pid => Edge(w, id, Id(pid), "reads"));
        }

        foreach (var p in graph.Processes.Where(p => graph.Process(p.ParentPid) is not null))
        {
            Edge(w, Id(p.ParentPid), Id(p.Pid), "parent_of");
        }

        w.WriteEndArray();
        w.WriteStartObject("verdict");
        w.WriteString("state", StateWord(verdict.State));
        if (verdict.HolderPid is { } holder)
        {
            w.WriteNumber("holder_pid", holder);
        }

        w.WriteStartArray("chain");
        verdict.Chain.ToList().ForEach(h => w.WriteStringValue(h.Text));
        w.WriteEndArray();
        w.WriteString("message", verdict.Message);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static string StateWord(PathState state) => state switch
    {
        PathState.Held => "held",
        PathState.Waiting => "waiting",
        PathState.NoNetwork => "no_network",
        _ => "idle",
    };

    private static string StateName(RunState state) => state switch
    {
        RunState.Running => "running",
        RunState.Sleeping => "sleeping",
        RunState.DiskWait => "disk_wait",
        RunState.Stopped => "stopped",
        RunState.TracingStop => "tracing_stop",
        RunState.Zombie => "zombie",
        _ => "other",
    };

    private static string Id(int pid) => string.Create(CultureInfo.InvariantCulture, $"pid:{pid}");

    private static void Edge(Utf8JsonWriter w, string from, string to, string relation)
    {
        w.WriteStartObject();
        w.WriteString("from", from);
        w.WriteString("to", to);
        w.WriteString("relation", relation);
        w.WriteEndObject();
    }
}
