using System.Globalization;

namespace Tracer.Bpf.Owners;

/// <summary>A process that holds a socket open.</summary>
public readonly record struct SocketOwner(int Pid, string Comm);

/// <summary>
/// Finds which process holds a socket by its inode, from /proc/PID/fd links
/// (<c>socket:[INODE]</c>). Used for sockets the process-context hooks have not
/// seen, e.g. a connection idle since before Tracer started. A miss rescans at
/// most once per <see cref="RescanInterval"/>, so a burst of unknown sockets costs one scan.
/// </summary>
public sealed class ProcSocketOwners(string procRoot = "/proc")
{
    private Dictionary<ulong, SocketOwner> byInode = [];
    private long? lastScanTicks;

    public TimeSpan RescanInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How soon a lookup that a finding waits for may rescan (see <see cref="TryFind"/>).</summary>
    public TimeSpan UrgentRescanInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The process holding socket <paramref name="inode"/>. An <paramref name="urgent"/> lookup (a
    /// sample a finding will name the owner from) may rescan sooner than <see cref="RescanInterval"/>.
    /// </summary>
    public bool TryFind(ulong inode, out SocketOwner owner, bool urgent = false)
    {
        if (byInode.TryGetValue(inode, out owner))
        {
            return true;
        }

        var now = Environment.TickCount64;
        if (now - lastScanTicks < (urgent ? UrgentRescanInterval : RescanInterval).TotalMilliseconds)
        {
            return false;
        }

        lastScanTicks = now;
        byInode = Scan(procRoot);
        return byInode.TryGetValue(inode, out owner);
    }

    /// <summary>Socket inodes held by one process (all its threads share the fd table).</summary>
    public static IReadOnlySet<ulong> InodesOf(int pid, string procRoot = "/proc")
    {
        var inodes = new HashSet<ulong>();
        foreach (var inode in SocketInodes(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "fd")))
        {
            inodes.Add(inode);
        }

        return inodes;
    }

    public static string? CommOf(int pid, string procRoot = "/proc")
    {
        try
        {
            return File.ReadAllText(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "comm")).TrimEnd('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static Dictionary<ulong, SocketOwner> Scan(string procRoot)
    {
        var result = new Dictionary<ulong, SocketOwner>();
        foreach (var dir in Directory.EnumerateDirectories(procRoot))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string? comm = null;
            foreach (var inode in SocketInodes(Path.Combine(dir, "fd")))
            {
                comm ??= CommOf(pid, procRoot) ?? "?";
                result.TryAdd(inode, new SocketOwner(pid, comm));
            }
        }

        return result;
    }

    private static IEnumerable<ulong> SocketInodes(string fdDir)
    {
        string[] links;
        try
        {
            links = Directory.GetFileSystemEntries(fdDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break; // the process exited or hides its fds
        }

        foreach (var link in links)
        {
            string? target;
            try
            {
                target = new FileInfo(link).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) &&
                ulong.TryParse(target.AsSpan(8, target.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
            {
                yield return inode;
            }
        }
    }
}
