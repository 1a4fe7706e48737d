using System.Globalization;
using Tracer.Interop;

namespace Tracer.Bpf;

/// <summary>The cgroup v2 hierarchy, for the <c>--cgroup</c> filter: the kernel names a cgroup by its directory's inode.</summary>
public static class Cgroup2
{
    /// <summary>A cgroup v2 directory (absolute, or relative to the hierarchy's root) or the id of one that exists: its id.</summary>
    public static string? Resolve(string text, out ulong? id)
    {
        id = null;
        if (text.Length == 0)
        {
            return "give a cgroup v2 path or id";
        }

        if (KernelFs.Cgroup2Root is not { } root)
        {
            return "no cgroup v2 hierarchy is mounted";
        }

        if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            id = number;
            return CgroupDirectories(root).Any(d => InodeOrZero(d) == number) ? null : $"no cgroup v2 has this id (cgroup v2 is mounted at {root})";
        }

        var path = Path.GetFullPath(Path.IsPathRooted(text) ? text : Path.Combine(root, text));
        var inode = path.StartsWith(root, StringComparison.Ordinal) && Directory.Exists(path) ? InodeOrZero(path) : 0;
        if (inode == 0)
        {
            return $"no cgroup v2 directory {path} (cgroup v2 is mounted at {root})";
        }

        id = inode;
        return null;
    }

    private static IEnumerable<string> CgroupDirectories(string root) =>
        Directory.EnumerateDirectories(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }).Prepend(root);

    /// <summary>A cgroup removed while the tree is walked has no inode to compare.</summary>
    private static ulong InodeOrZero(string path)
    {
        try
        {
            return KernelFs.Inode(path);
        }
        catch (BpfException)
        {
            return 0;
        }
    }
}
