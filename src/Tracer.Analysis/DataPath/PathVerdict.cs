using System.Globalization;
using Tracer.Analysis.Formatting;

namespace Tracer.Analysis.DataPath;

/// <summary>Where the data path stands, from one look at it.</summary>
public enum PathState : byte
{
    /// <summary>Nothing is full and nobody is stopped: no byte waits to move.</summary>
    Idle = 0,

    /// <summary>A buffer on the path is full but its reader runs: only seeing bytes move tells a slow hop from a stuck one.</summary>
    Waiting = 1,

    /// <summary>A process on the path is stopped: the transfer cannot move until it is continued.</summary>
    Held = 2,

    /// <summary>The target reaches no TCP connection: nothing here is a network transfer.</summary>
    NoNetwork = 3,
}

/// <summary>One hop of the chain the verdict draws: a process, or a link between two.</summary>
public sealed record PathHop(int? Pid, PathLink? Link, string Text);

/// <summary>
/// The verdict on a data path: which hop holds the transfer and why, and the chain of hops
/// from a target to it, e.g. "rsync 20521 is blocked writing to a full unix socket (212 kB)
/// read by ssh 20523; … rsync 20530 is stopped by a signal".
/// </summary>
public sealed record PathVerdict(PathState State, int? HolderPid, IReadOnlyList<PathHop> Chain, string Message)
{
    public static PathVerdict Of(PathGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        // the targets exited between the /proc walk and the graph: their parent or children may remain, but name none of them
        if (!graph.Targets.Any(t => graph.Process(t) is not null))
        {
            return new(PathState.NoNetwork, null, [], "no process left to follow: the target exited");
        }

        var chain = BlockedChain(graph);
        var end = chain.Count > 0 && chain[^1].Pid is { } last ? graph.Process(last) : null;
        // a stopped process that a full buffer waits on, else any stopped process on the path
        var onPath = graph.Processes.Where(p => p.IsStopped && (graph.Targets.Contains(p.Pid) || graph.Links.Any(l => l.Writers.Contains(p.Pid) || l.Readers.Contains(p.Pid))));
        var stopped = chain.Count > 1 && end is { IsStopped: true } ? end
            : onPath.OrderByDescending(p => graph.Links.Any(l => l.Full && l.Readers.Contains(p.Pid))).FirstOrDefault();
        if (stopped is not null && stopped != end)
        {
            chain = ShortestChain(graph, stopped.Pid);
        }

        if (!graph.HasNetwork)
        {
            var first = graph.Targets.Select(graph.Process).First(p => p is not null)!;
            var held = stopped is null ? "" : $"; on its path {stopped.Name} {Describe(stopped)}";
            return new(PathState.NoNetwork, stopped?.Pid, chain,
                $"no network path found from {first.Name}: it {Waits(first)}{Reaches(graph)}{held}");
        }

        if (stopped is not null)
        {
            return new(PathState.Held, stopped.Pid, chain, Sentence(chain));
        }

        if (chain.Count > 1)
        {
            var tail = chain[^1];
            var why = tail.Link is { Remote: { } remote } ? $"the peer {remote} takes no more data" : $"{graph.Process(tail.Pid!.Value)!.Name} {Waits(graph.Process(tail.Pid.Value)!)}";
            return new(PathState.Waiting, tail.Pid, chain, $"{Sentence(chain)}; {why}");
        }

        return new(PathState.Idle, null, [], "no buffer on the path is full and no process on it is stopped");
    }

    /// <summary>From the target through full links, writer to reader, as far as they go.</summary>
    private static List<PathHop> BlockedChain(PathGraph graph)
    {
        List<PathHop> best = [];
        foreach (var start in graph.Targets.Where(t => graph.Process(t) is not null))
        {
            var hops = new List<PathHop> { Hop(graph, start) };
            var seen = new HashSet<int> { start };
            var at = start;
            while (graph.Links.FirstOrDefault(l => l.Full && l.Writers.Contains(at) && !l.Readers.Any(seen.Contains)) is { } link)
            {
                hops.Add(new PathHop(null, link, LinkText(graph, link)));
                var next = link.Readers.FirstOrDefault(r => graph.Process(r) is not null);
                if (link.Remote is not null || next == 0)
                {
                    break;
                }

                hops.Add(Hop(graph, next));
                seen.Add(next);
                at = next;
            }

            // the longest chain, and of equal ones the one ending at a stopped process
            if (hops.Count > best.Count || (hops.Count == best.Count && EndsStopped(graph, hops) && !EndsStopped(graph, best)))
            {
                best = hops;
            }
        }

        return best;
    }

    private static bool EndsStopped(PathGraph graph, List<PathHop> hops) => hops.Count > 0 && hops[^1].Pid is { } pid && graph.Process(pid)!.IsStopped;

    /// <summary>
    /// The fewest links to <paramref name="pid"/> from a target other than it (the holder itself when
    /// none reaches it), writer to reader where such a chain exists, else in either direction.
    /// </summary>
    private static List<PathHop> ShortestChain(PathGraph graph, int pid)
    {
        var starts = graph.Targets.Where(t => t != pid && graph.Process(t) is not null).ToList();
        var running = starts.Where(t => !graph.Process(t)!.IsStopped).ToList();
        return Search(graph, running, pid, directed: true) ?? Search(graph, starts, pid, directed: true)
            ?? Search(graph, starts, pid, directed: false) ?? [Hop(graph, pid)];
    }

    private static List<PathHop>? Search(PathGraph graph, List<int> starts, int pid, bool directed)
    {
        var from = new Dictionary<int, (int Pid, PathLink? Link)>();
        var queue = new Queue<int>();
        foreach (var t in starts)
        {
            from.TryAdd(t, (0, null));
            queue.Enqueue(t);
        }

        while (queue.TryDequeue(out var at) && at != pid)
        {
            foreach (var link in graph.Links.Where(l => l.Writers.Contains(at) || (!directed && l.Readers.Contains(at))))
            {
                var ends = directed ? link.Readers : link.Writers.Concat(link.Readers);
                foreach (var next in ends.Where(n => graph.Process(n) is not null && from.TryAdd(n, (at, link))))
                {
                    queue.Enqueue(next);
                }
            }
        }

        if (!from.ContainsKey(pid))
        {
            return null;
        }

        var hops = new List<PathHop>();
        for (var p = pid; from.TryGetValue(p, out var step); p = step.Pid)
        {
            hops.Insert(0, Hop(graph, p));
            if (step.Link is null)
            {
                break;
            }

            hops.Insert(0, new PathHop(null, step.Link, LinkText(graph, step.Link)));
        }

        return hops;
    }

    private static PathHop Hop(PathGraph graph, int pid)
    {
        var p = graph.Process(pid)!;
        return new PathHop(pid, null, $"{p.Name} {Describe(p)}");
    }

    /// <summary>The state of a process as a predicate: "is stopped by a signal", "sleeps in select (do_select)".</summary>
    public static string Describe(PathProcess p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return p.State switch
        {
            RunState.Stopped => "is stopped by a signal (SIGSTOP/SIGTSTP)",
            RunState.TracingStop => "is stopped by a tracer",
            RunState.Zombie => "has exited (zombie)",
            RunState.Running => "is running",
            RunState.DiskWait => $"is in disk wait{In(p)}",
            _ => $"sleeps{In(p)}",
        };
    }

    private static string Waits(PathProcess p) => p.State == RunState.Sleeping ? $"waits{In(p)}" : Describe(p);

    private static string In(PathProcess p) =>
        p.Call is { } call ? $" in {call.Name}({(call.Fd is { } fd ? string.Create(CultureInfo.InvariantCulture, $"fd {fd}") : "…")}){(p.Wchan.Length > 0 ? $" at {p.Wchan}" : "")}"
        : p.Wchan.Length > 0 ? $" at {p.Wchan}" : "";

    public static string LinkText(PathGraph graph, PathLink link)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(link);
        var kind = link.Kind switch
        {
            ChannelKind.Pipe => "pipe",
            ChannelKind.Fifo => "FIFO",
            ChannelKind.Unix => "unix socket",
            _ => "TCP connection",
        };
        var fill = link.Capacity > 0 ? $"{Human.Bytes(link.Queued)} of {Human.Bytes(link.Capacity)}" : $"{Human.Bytes(link.Queued)} queued";
        var readers = link.Remote ?? string.Join(", ", link.Readers.Select(r => graph.Process(r)?.Name ?? r.ToString(CultureInfo.InvariantCulture)));
        var state = link.Full ? "full" : "open";
        var detail = link.Detail.Length > 0 ? $": {link.Detail}" : "";
        return $"{state} {kind} {link.Channel} ({fill}) read by {readers}{detail}";
    }

    private static string Sentence(IReadOnlyList<PathHop> chain) => string.Join(" → ", chain.Select(h => h.Text));

    private static string Reaches(PathGraph graph)
    {
        var others = graph.Links.SelectMany(l => l.Writers.Concat(l.Readers)).Distinct().Count(p => !graph.Targets.Contains(p));
        return others > 0 ? string.Create(CultureInfo.InvariantCulture, $"; its pipes and unix sockets reach {others} other process(es), none with a TCP socket") : "; it shares no pipe or unix socket with another process";
    }
}
