using Tracer.Analysis.DataPath;
using Tracer.Analysis.Tcp;
using Tracer.Bpf.Owners;
using Tracer.Bpf.Paths;
using Tracer.Bpf.Snapshot;
using Tracer.Interop.Events;

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

    /// <summary>Walks <paramref name="fds"/> from <paramref name="pids"/>, or, when null, from every process holding a TCP socket with <paramref name="port"/>.</summary>
    public static PathWalk Walk(IReadOnlyList<int>? pids, ushort? port, FdTable fds)
    {
        ArgumentNullException.ThrowIfNull(fds);
        var procRoot = fds.ProcRoot;
        var unix = UnixSockets.Dump();
        var tcp = TcpTable.Read(procRoot);
        var starts = pids ?? (port is { } p
            ? tcp.WithPort(p).SelectMany(i => fds.Holders(OpenFileKind.Socket, i)).Select(h => h.Pid).Distinct().Order().ToList()
            : []);
        var reached = new List<int>();
        var seen = new HashSet<int>(starts);
        var queue = new Queue<int>(starts);
        while (queue.TryDequeue(out var pid) && reached.Count < MaxProcesses)
        {
            reached.Add(pid);
            foreach (var file in fds.FilesOf(pid))
            {
                if (file.Fd == StandardError)
                {
                    continue;
                }

                Visit(fds.Holders(file.Kind, file.Inode));
                if (file.Kind == OpenFileKind.Socket && PeerOf(file.Inode, unix, tcp) is { } peer)
                {
                    Visit(fds.Holders(OpenFileKind.Socket, peer));
                }
            }
        }

        // loops, not queries: a walk visits every descriptor of every process it reaches
        void Visit(IReadOnlyList<(int Pid, int Fd)> ends)
        {
            foreach (var (other, fd) in ends)
            {
                if (fd != StandardError && seen.Add(other))
                {
                    queue.Enqueue(other);
                }
            }
        }

        var owners = new Dictionary<ulong, SocketOwner>();
        var processes = new List<SocketOwner>();
        foreach (var pid in reached)
        {
            var owner = new SocketOwner(pid, ProcSocketOwners.CommOf(pid, procRoot) ?? "?");
            processes.Add(owner);
            foreach (var file in fds.FilesOf(pid).Where(f => f.Kind == OpenFileKind.Socket))
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

    /// <summary>The socket at the other end: a unix socket's peer, or a loopback TCP connection's.</summary>
    private static ulong? PeerOf(ulong inode, IReadOnlyDictionary<ulong, UnixSocket> unix, TcpTable tcp) =>
        unix.TryGetValue(inode, out var u) && u.Peer != 0 ? u.Peer : tcp.PeerOf(inode);

    /// <summary>Whether processes of the path other than the first hold the object (stderr aside): a self-pipe does not join two hops.</summary>
    private static bool JoinsProcesses(IReadOnlyList<(int Pid, int Fd)> holders, HashSet<int> reached)
    {
        var first = 0;
        foreach (var (pid, fd) in holders)
        {
            if (fd == StandardError || !reached.Contains(pid))
            {
                continue;
            }

            if (first == 0)
            {
                first = pid;
            }
            else if (pid != first)
            {
                return true;
            }
        }

        return false;
    }

    private static List<int> HoldersIn(FdTable fds, OpenFileKind kind, ulong inode, HashSet<int> reached) =>
        fds.Holders(kind, inode).Where(h => h.Fd != StandardError && reached.Contains(h.Pid)).Select(h => h.Pid).Distinct().ToList();

    private static IEnumerable<PathLink> PipeLinks(PathWalk walk, HashSet<int> reached, string procRoot)
    {
        var done = new HashSet<ulong>();
        foreach (var pid in walk.Reached)
        {
            foreach (var file in walk.Fds.FilesOf(pid))
            {
                if (file.Kind == OpenFileKind.Socket || file.Fd == StandardError || !JoinsProcesses(walk.Fds.Holders(file.Kind, file.Inode), reached) || !done.Add(file.Inode))
                {
                    continue; // a pipe within one process (a self-pipe) or with an end outside the path
                }

                var ends = walk.Fds.Holders(file.Kind, file.Inode).Where(h => h.Fd != StandardError && reached.Contains(h.Pid)).ToList();

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
                    Channel = $"{(file.Kind == OpenFileKind.Fifo ? "fifo" : "pipe")}:[{file.Inode}]",
                    Kind = file.Kind == OpenFileKind.Fifo ? ChannelKind.Fifo : ChannelKind.Pipe,
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
            foreach (var file in walk.Fds.FilesOf(pid).Where(f => f.Kind == OpenFileKind.Socket && f.Fd != StandardError && done.Add(f.Inode)))
            {
                // each direction once, from the end that writes it; the first holder speaks for the socket
                if (!walk.Unix.TryGetValue(file.Inode, out var from) || from.Peer == 0 || !walk.Unix.TryGetValue(from.Peer, out var to) ||
                    walk.Fds.Holders(OpenFileKind.Socket, file.Inode).FirstOrDefault(h => reached.Contains(h.Pid)).Pid != pid)
                {
                    continue;
                }

                var writers = HoldersIn(walk.Fds, OpenFileKind.Socket, file.Inode, reached);
                var readers = HoldersIn(walk.Fds, OpenFileKind.Socket, from.Peer, reached);
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
            var writers = HoldersIn(walk.Fds, OpenFileKind.Socket, s.Inode, reached);
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
                    Readers = HoldersIn(walk.Fds, OpenFileKind.Socket, peerInode, reached),
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
