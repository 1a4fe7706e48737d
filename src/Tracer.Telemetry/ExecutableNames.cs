namespace Tracer.Telemetry;

/// <summary>
/// <c>process.executable.name</c> as the semantic conventions define it on Linux: the base name of
/// /proc/PID/exe's target (the kernel's task name is cut at 15 characters and may be a thread's).
/// Cached per process; a reused pid is told apart by its task name. Thread-safe.
/// </summary>
public sealed class ExecutableNames(string procRoot = "/proc")
{
    /// <summary>Entries kept before the cache starts over: owners of connections, not every process.</summary>
    private const int Capacity = 4096;

    private readonly Lock gate = new();
    private readonly Dictionary<(int Pid, string Comm), string?> names = [];

    /// <summary>The running system's processes.</summary>
    public static ExecutableNames Proc { get; } = new();

    /// <summary>The executable's base name; null for a kernel thread or a process that is gone or out of reach.</summary>
    public string? Of(int pid, string comm)
    {
        lock (gate)
        {
            if (names.TryGetValue((pid, comm), out var cached))
            {
                return cached;
            }

            if (names.Count >= Capacity)
            {
                names.Clear();
            }

            var name = Resolve(pid);
            names[(pid, comm)] = name;
            return name;
        }
    }

    private string? Resolve(int pid)
    {
        string? target;
        try
        {
            target = new FileInfo(Path.Combine(procRoot, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "exe")).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // the kernel appends " (deleted)" when the file was replaced or removed since exec
        const string deleted = " (deleted)";
        if (target?.EndsWith(deleted, StringComparison.Ordinal) == true)
        {
            target = target[..^deleted.Length];
        }

        return Path.GetFileName(target) is { Length: > 0 } name ? name : null;
    }
}
