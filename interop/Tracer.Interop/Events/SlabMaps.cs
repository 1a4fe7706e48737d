using Tracer.Interop.Native;

namespace Tracer.Interop.Events;

/// <summary>Walking the keys of the slab program's hash maps (bpf_map__get_next_key).</summary>
public static unsafe class SlabMaps
{
    /// <summary>Offset of <c>recursion_misses</c> in the UAPI <c>struct bpf_prog_info</c>, whose fields are only ever appended.</summary>
    internal const int RecursionMissesOffset = 208;

    /// <summary>
    /// Every key present when the walk passes it. The kernel may insert or delete
    /// while we walk: a key deleted under us restarts nothing, it is simply absent.
    /// </summary>
    public static List<TKey> Keys<TKey>(this BpfMap map, int limit = int.MaxValue)
        where TKey : unmanaged
    {
        var keys = new List<TKey>();
        TKey current = default, next = default;
        var first = true;
        while (keys.Count < limit)
        {
            var result = LibBpf.bpf_map__get_next_key(map.Pointer, first ? null : &current, &next, (nuint)sizeof(TKey));
            if (result == -Errno.ENOENT)
            {
                break;
            }

            Errno.Check(result, "bpf_map__get_next_key", map.Name);
            keys.Add(next);
            current = next;
            first = false;
        }

        return keys;
    }

    /// <summary>
    /// Times the kernel skipped this program because it was already running on the
    /// same CPU (<c>bpf_prog_info.recursion_misses</c>, Linux 5.12+; 0 before): a kmem
    /// tracepoint hit from a softirq that interrupted the program is not counted.
    /// </summary>
    public static ulong RecursionMisses(this BpfProgram program)
    {
        const int infoSize = 256;
        var info = stackalloc byte[infoSize];
        new Span<byte>(info, infoSize).Clear();
        var length = (uint)infoSize;
        Errno.Check(LibBpf.bpf_obj_get_info_by_fd(program.Fd, info, &length), "bpf_obj_get_info_by_fd", program.Name);
        return length >= RecursionMissesOffset + sizeof(ulong) ? *(ulong*)(info + RecursionMissesOffset) : 0;
    }
}
