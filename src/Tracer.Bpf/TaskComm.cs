using Tracer.Interop.Events;

namespace Tracer.Bpf;

/// <summary>A task's command name as the kernel keeps it (<c>task_struct.comm</c>).</summary>
public static class TaskComm
{
    /// <summary>The kernel keeps 15 bytes of a command name: a longer filter matches its truncation.</summary>
    public static bool Matches(string filter, string comm) =>
        comm.Length > 0 && (comm == filter || (comm.Length == TcpWindowEvent.CommLength - 1 && filter.StartsWith(comm, StringComparison.Ordinal)));
}
