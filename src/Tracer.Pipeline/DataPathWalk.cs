using Tracer.Analysis.DataPath;
using Tracer.Analysis.Tcp;
using Tracer.Bpf.Owners;
using Tracer.Bpf.Paths;
using Tracer.Bpf.Snapshot;

namespace Tracer.Pipeline;

/// <summary>The processes a walk reached and the socket inodes they hold, before the TCP snapshot judges them.</summary>
public sealed record PathWalk(IReadOnlyList<int> Starts, IReadOnlyList<int> Reached, TargetProcesses Sockets, FdTable Fds, IReadOnlyDictionary<ulong, UnixSocket> Unix, TcpTable Tcp);

/// <summary>
/// Follows the data path from the target's processes through /proc: every process at the other end
/// of a pipe, FIFO or unix socket they hold (stderr excepted: it carries diagnostics, not the
/// transfer), sharing one of their sockets, or at the far end of a loopback TCP connection; then
/// builds the graph from the TCP snapshot of every socket the reached processes hold.
/// </summary>
public static class DataPathWalk
{
    /// <summary>A walk stops growing here: a path through more processes is not a transfer.</summary>
    public const int MaxProcesses = 256;

    private const int StandardError = 2;
    private const ulong PageSize = 4096;

    /// <summary>Walks from <paramref name="pids"/>, or, when null, from every process holding a TCP socket with <paramref name="port"/>.</summary>
    public static PathWalk Walk(IReadOnlyList<int>? pids, ushort? port, string procRoot = "/proc")
    {
        var fds = FdTable.Scan(procRoot);
        var unix = UnixSockets.Dump();
        var tcp = TcpTable.Read(procRoot);
        var starts = pids ?? (port is { } p
            ? tcp.WithPort(p).SelectMany(i => fds.Holders(FdKind.Socket, i)).Select(h => h.Pid).Distinct().Order().ToList()
            : []);
        var reached = new List<int>();
        var seen = new HashSet<int>(starts);
        var queue = new Queue<int>(starts);
        while (queue.TryDequeue(out var pid) && reached.Count < MaxProcesses)
        {
            reached.Add(pid);
            foreach (var file in fds.FilesOf(pid).Where(f => f.Fd != StandardError))
            {
                foreach (var (other, fd) in Ends(file, fds, unix, tcp))
                {
                    if (fd != StandardError && seen.Add(other))
                    {
                        queue.Enqueue(other);
                    }
                }
            }
        }

        var owners = new Dictionary<ulong, SocketOwner>();
        var processes = new List<SocketOwner>();
        foreach (var pid in reached)
        {
            var owner = new SocketOwner(pid, ProcSocketOwners.CommOf(pid, procRoot) ?? "?");
            processes.Add(owner);
            foreach (var file in fds.FilesOf(pid).Where(f => f.Kind == FdKind.Socket))
            {
                owners.TryAdd(file.Inode, owner);
            }
        }

        return new PathWalk(starts, reached, new TargetProcesses(processes, owners), fds, unix, tcp);
    }

    /// <summary>The graph of a walk, its links judged from /proc and the TCP snapshot of the reached processes.</summary>
    public static PathGraph Graph(PathWalk walk, TcpSnapshot snapshot, string procRoot = "/proc")
    {
        ArgumentNullException.ThrowIfNull(walk);
        ArgumentNullException.ThrowIfNull(snapshot);
        var reached = walk.Reached.ToHashSet();
        var nodes = new List<int>(walk.Reached);
        foreach (var start in walk.Starts)
        {
            nodes.Add(walk.Fds.ParentOf(start));
            nodes.AddRange(walk.Fds.ChildrenOf(start));
        }

        var processes = nodes.Where(p => p > 0).Distinct().Select(p => ProcessReader.Read(p, procRoot)).OfType<PathProcess>().ToList();
        var links = new List<PathLink>();
        links.AddRange(PipeLinks(walk, reached, procRoot));
        links.AddRange(UnixLinks(walk, reached));
        links.AddRange(TcpLinks(walk, reached, snapshot));
        var alive = walk.Starts.Where(s => processes.Any(p => p.Pid == s)).ToList();
        return new PathGraph(alive, processes, links, snapshot.Sockets.Count);
    }

    private static IEnumerable<(int Pid, int Fd)> Ends(OpenFile file, FdTable fds, IReadOnlyDictionary<ulong, UnixSocket> unix, TcpTable tcp)
    {
        foreach (var end in fds.Holders(file.Kind, file.Inode))
        {
            yield return end;
        }

        if (file.Kind != FdKind.Socket)
        {
            yield break;
        }

        var peer = unix.TryGetValue(file.Inode, out var u) && u.Peer != 0 ? u.Peer : tcp.PeerOf(file.Inode);
        if (peer is { } p)
        {
            foreach (var end in fds.Holders(FdKind.Socket, p))
            {
                yield return end;
            }
        }
    }

    private static List<int> HoldersIn(FdTable fds, FdKind kind, ulong inode, HashSet<int> reached) =>
        fds.Holders(kind, inode).Where(h => h.Fd != StandardError && reached.Contains(h.Pid)).Select(h => h.Pid).Distinct().ToList();

    private static IEnumerable<PathLink> PipeLinks(PathWalk walk, HashSet<int> reached, string procRoot)
    {
        var done = new HashSet<ulong>();
        foreach (var pid in walk.Reached)
        {
            foreach (var file in walk.Fds.FilesOf(pid).Where(f => f.Kind != FdKind.Socket && f.Fd != StandardError && done.Add(f.Inode)))
            {
                var ends = walk.Fds.Holders(file.Kind, file.Inode).Where(h => h.Fd != StandardError && reached.Contains(h.Pid)).ToList();
                if (ends.Select(e => e.Pid).Distinct().Count() < 2)
                {
                    continue; // a pipe within one process (a self-pipe) or with an end outside the path
                }

                var access = ends.Select(e => (e.Pid, e.Fd, Access: ProcessReader.AccessOf(e.Pid, e.Fd, procRoot))).ToList();
                var writers = access.Where(a => a.Access.Writes).Select(a => a.Pid).Distinct().ToList();
                var readers = access.Where(a => a.Access.Reads).Select(a => a.Pid).Distinct().ToList();
                if (writers.Count == 0 || readers.Count == 0 || writers.Union(readers).Count() < 2)
                {
                    continue; // a pipe within one process (a self-pipe) or with an end outside the path
                }

                var fill = ends.Select(e => PipeFill.Read(e.Pid, e.Fd, procRoot)).FirstOrDefault(f => f is not null);
                var (queued, capacity) = fill ?? (0, 0);
                yield return new PathLink
                {
                    Channel = $"{(file.Kind == FdKind.Fifo ? "fifo" : "pipe")}:[{file.Inode}]",
                    Kind = file.Kind == FdKind.Fifo ? ChannelKind.Fifo : ChannelKind.Pipe,
                    Writers = writers,
                    Readers = readers,
                    Queued = queued,
                    Capacity = capacity,
                    Full = capacity > 0 && queued + PageSize > capacity,
                };
            }
        }
    }

    private static IEnumerable<PathLink> UnixLinks(PathWalk walk, HashSet<int> reached)
    {
        var done = new HashSet<ulong>();
        foreach (var pid in walk.Reached)
        {
            foreach (var file in walk.Fds.FilesOf(pid).Where(f => f.Kind == FdKind.Socket && f.Fd != StandardError && done.Add(f.Inode)))
            {
                // each direction once, from the end that writes it; the first holder speaks for the socket
                if (!walk.Unix.TryGetValue(file.Inode, out var from) || from.Peer == 0 || !walk.Unix.TryGetValue(from.Peer, out var to) ||
                    walk.Fds.Holders(FdKind.Socket, file.Inode).FirstOrDefault(h => reached.Contains(h.Pid)).Pid != pid)
                {
                    continue;
                }

                var writers = HoldersIn(walk.Fds, FdKind.Socket, file.Inode, reached);
                var readers = HoldersIn(walk.Fds, FdKind.Socket, from.Peer, reached);
                if (readers.Count == 0 || writers.Union(readers).Count() < 2)
                {
                    continue;
                }

                yield return new PathLink
                {
                    Channel = $"unix:[{file.Inode}]",
                    Kind = ChannelKind.Unix,
                    Writers = writers,
                    Readers = readers,
                    Queued = to.ReadQueue,
                    Capacity = from.SendBuffer,
                    Full = from.WriterBlocked,
                };
            }
        }
    }

    private static IEnumerable<PathLink> TcpLinks(PathWalk walk, HashSet<int> reached, TcpSnapshot snapshot)
    {
        var byInode = snapshot.Sockets.Where(s => s.Inode != 0).GroupBy(s => s.Inode).ToDictionary(g => g.Key, g => g.First());
        foreach (var s in snapshot.Sockets.Where(s => s.IsConnected && s.Inode != 0))
        {
            var writers = HoldersIn(walk.Fds, FdKind.Socket, s.Inode, reached);
            if (writers.Count == 0)
            {
                continue;
            }

            var verdict = SnapshotVerdict.Of(s);
            var detail = verdict.Problem > SnapshotProblem.Unread ? verdict.Message : "";
            var full = s.SndWnd == 0 && s.HasDataWaiting;
            if (walk.Tcp.PeerOf(s.Inode) is { } peerInode && byInode.TryGetValue(peerInode, out var peer))
            {
                yield return new PathLink
                {
                    Channel = s.Endpoints.ToString(),
                    Kind = ChannelKind.Tcp,
                    Writers = writers,
                    Readers = HoldersIn(walk.Fds, FdKind.Socket, peerInode, reached),
                    Queued = (ulong)s.Unsent + s.Unacked + peer.Unread,
                    Full = full,
                    Detail = detail,
                    Cookies = [s.Cookie, peer.Cookie],
                };
            }
            else
            {
                var remote = s.Endpoints.ToString();
                yield return new PathLink
                {
                    Channel = remote,
                    Kind = ChannelKind.Tcp,
                    Writers = writers,
                    Readers = [],
                    Remote = remote[(remote.IndexOf('→', StringComparison.Ordinal) + 2)..],
                    Queued = (ulong)s.Unsent + s.Unacked,
                    Full = full,
                    Detail = detail,
                    Cookies = [s.Cookie],
                };
            }
        }
    }
}
