using System.Runtime.InteropServices;

namespace Tracer.Interop.Events;

/// <summary>C# mirror of <c>enum open_file_kind</c>: what an open file is, as far as the data path cares.</summary>
public enum OpenFileKind : byte
{
    Pipe = 0,
    Fifo = 1,
    Socket = 2,
}

/// <summary>
/// C# mirror of <c>struct open_file_record</c> in bpf/include/tracer_events.h: one pipe, FIFO or
/// socket a process holds, from the task_file iterator. Checked against the compiled BTF.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct OpenFileRecord
{
    public ulong inode;
    public uint tgid;
    public uint ppid;
    public uint fd;
    public byte kind;
    public fixed byte pad[3];
}
