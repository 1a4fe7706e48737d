using System.Runtime.InteropServices;
using Tracer.Interop.Native;

namespace Tracer.Interop.Events;

/// <summary>Walking the keys of the slab program's hash maps (bpf_map__get_next_key).</summary>
public static unsafe class SlabMaps
{
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
        const int recursionMissesOffset = 208; // UAPI struct bpf_prog_info: fields are only ever appended
        var info = stackalloc byte[infoSize];
        new Span<byte>(info, infoSize).Clear();
        var length = (uint)infoSize;
        Errno.Check(LibBpf.bpf_obj_get_info_by_fd(program.Fd, info, &length), "bpf_obj_get_info_by_fd", program.Name);
        return length >= recursionMissesOffset + sizeof(ulong) ? *(ulong*)(info + recursionMissesOffset) : 0;
    }

    /// <summary>Every possible CPU's value of a per-CPU map's key, one element per CPU; false when the key is absent.</summary>
    public static bool TryLookupPerCpu<TKey, TValue>(this BpfMap map, TKey key, Span<TValue> perCpu)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        // the kernel copies per-CPU values at an 8-byte stride
        if (sizeof(TValue) % 8 != 0 || perCpu.Length != PossibleCpus)
        {
            throw new ArgumentException($"{map.Name}: per-CPU values of {typeof(TValue).Name} need one element per possible CPU and a size that is a multiple of 8");
        }

        return map.TryLookup(key, MemoryMarshal.AsBytes(perCpu));
    }

    public static int PossibleCpus => Errno.Check(LibBpf.libbpf_num_possible_cpus(), "libbpf_num_possible_cpus");
}
