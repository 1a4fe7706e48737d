using Tracer.Analysis.Findings;

namespace Tracer.Bpf.Owners;

/// <summary>A process's container and pod, from its cgroup v2 path in /proc/PID/cgroup ("0::/…").</summary>
public static class ProcCgroups
{
    /// <summary>Unknown (default) for a process that is gone or not in cgroup v2.</summary>
    public static ContainerIdentity ContainerOf(int pid, string procRoot = "/proc")
    {
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(procRoot, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "cgroup")))
            {
                if (line.StartsWith("0::", StringComparison.Ordinal))
                {
                    return ContainerIdentity.FromCgroupPath(line[3..]);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the process exited between its finding and this read
        }

        return default;
    }
}
