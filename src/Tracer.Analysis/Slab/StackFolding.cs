namespace Tracer.Analysis.Slab;

/// <summary>
/// Folds a symbolized kernel allocation stack to the frames that matter: the
/// tracing and allocator frames at the top and the syscall entry frames at the
/// bottom go, what remains reads <c>__sys_socket → … → sock_alloc_inode</c>.
/// </summary>
public static class StackFolding
{
    private const int TracingDepth = 4;

    private static readonly string[] AllocatorPrefixes =
    [
        "bpf_", "__bpf_", "trace_", "__traceiter_", "perf_", "kmem_cache_alloc", "__kmem_cache_alloc", "kmalloc", "__kmalloc",
        "__do_kmalloc", "slab_", "__slab_", "___slab_", "kvmalloc", "__kvmalloc", "krealloc",
    ];

    private static readonly string[] EntryPrefixes =
    [
        "entry_SYSCALL", "do_syscall_", "x64_sys_call", "__x64_sys_", "__ia32_sys_", "__arm64_sys_", "__se_sys_", "__do_sys_",
        "el0", "invoke_syscall", "ret_from_fork", "asm_", "do_int80",
    ];

    /// <summary>Frames innermost first (as the kernel stores them), folded; unknown addresses stay as given.</summary>
    public static IReadOnlyList<string> Fold(IReadOnlyList<string> innermostFirst)
    {
        var frames = innermostFirst.Select(StripSuffix).ToList();
        // the tracing frames above the allocator (the BPF program, bpf_trace_run*) may be unnamed
        var start = frames.Take(TracingDepth).ToList().FindIndex(IsAllocatorFrame);
        start = Math.Max(start, 0);
        while (start < frames.Count && IsAllocatorFrame(frames[start]))
        {
            start++;
        }

        var end = frames.Count;
        while (end > start && EntryPrefixes.Any(p => frames[end - 1].StartsWith(p, StringComparison.Ordinal)))
        {
            end--;
        }

        return start == end ? frames : frames[start..end];
    }

    /// <summary>Outermost → innermost kept frame: <c>__sys_socket → sock_alloc_inode</c>.</summary>
    public static string Summary(IReadOnlyList<string> folded) => folded.Count switch
    {
        0 => "?",
        1 => folded[0],
        _ => $"{folded[^1]} → {folded[0]}",
    };

    private static bool IsAllocatorFrame(string frame) => AllocatorPrefixes.Any(p => frame.StartsWith(p, StringComparison.Ordinal));

    /// <summary>Compiler clones (<c>.isra.0</c>, <c>.constprop.0</c>, <c>.cold</c>) are the same function to a reader.</summary>
    private static string StripSuffix(string frame)
    {
        var dot = frame.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 ? frame[..dot] : frame;
    }
}
