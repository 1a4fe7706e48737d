using Tracer.Bpf.Attach;

namespace Tracer.Bpf.Slab;

/// <summary>
/// bpf/slab.bpf.c: the kmem tracepoints and the OOM killer's. Only tracepoints:
/// trace_kmem_cache_alloc() fires in every allocation entry point, which no
/// single function hook covers (kmem_cache_alloc_noprof misses kmem_cache_alloc_lru_noprof).
/// </summary>
public static class SlabComponent
{
    public static readonly HookSpec CacheAlloc = Tracepoint("slab alloc (kmem_cache_alloc)", "kmem_cache_alloc", "cache_alloc", required: true);

    public static readonly HookSpec CacheFree = Tracepoint("slab free (kmem_cache_free)", "kmem_cache_free", "cache_free", required: true);

    /// <summary>Counts the frees the first program was skipped for (it was running when a softirq freed more); attached after it.</summary>
    public static readonly HookSpec CacheFreeBackstop = Tracepoint("slab free backstop (kmem_cache_free)", "kmem_cache_free", "cache_free_backstop", required: false);

    public static readonly HookSpec Kmalloc = Tracepoint("slab alloc (kmalloc)", "kmalloc", "kmalloc", required: false);

    public static readonly HookSpec Kfree = Tracepoint("slab free (kfree)", "kfree", "kfree", required: false);

    public static readonly HookSpec KfreeBackstop = Tracepoint("slab free backstop (kfree)", "kfree", "kfree_backstop", required: false);

    public static readonly HookSpec OomVictim = new("oom victim (mark_victim)",
    [
        new(AttachMethod.TpBtf, "mark_victim", "oom_victim_btf"),
        new(AttachMethod.RawTracepoint, "mark_victim", "oom_victim_raw"),
        new(AttachMethod.Tracepoint, "oom/mark_victim", "oom_victim_tp"),
    ], Required: false);

    public static readonly BpfComponent Component = new("slab", [CacheAlloc, CacheFree, CacheFreeBackstop, Kmalloc, Kfree, KfreeBackstop, OomVictim]);

    /// <summary>The same object with only the OOM hook: the slabinfo watch, growth read from /proc/slabinfo without per-object hooks.</summary>
    public static readonly BpfComponent SlabinfoWatch = new("slab", [OomVictim]);

    /// <summary>What the slab analysis loses with the methods chosen, for <c>tracer doctor</c> and <c>tracer slab -v</c>.</summary>
    public static IEnumerable<string> ReducedModes(IEnumerable<HookChoice> choices)
    {
        var chosen = choices.Where(c => Component.Hooks.Contains(c.Hook)).ToDictionary(c => c.Hook, c => c.Chosen);
        if (chosen.Count == 0)
        {
            yield break;
        }

        if (chosen.GetValueOrDefault(CacheAlloc) is null || chosen.GetValueOrDefault(CacheFree) is null)
        {
            yield return "slab: no kmem_cache_alloc/kmem_cache_free tracepoint: tracer slab cannot run on this kernel";
            yield break;
        }

        if (chosen[CacheAlloc]!.Method == AttachMethod.Tracepoint)
        {
            yield return "slab: classic tracepoints: caches are keyed by name (hashed per event), object size is bytes_alloc; same counts at a higher cost per event";
        }

        if (chosen.GetValueOrDefault(Kmalloc) is null)
        {
            yield return "slab: no kmalloc tracepoint: kmalloc-N caches are watched through /proc/slabinfo only, without rates or attribution";
        }
        else if (chosen.GetValueOrDefault(Kfree) is null)
        {
            yield return "slab: no kfree tracepoint: kmalloc objects are counted but not attributed (their frees would go unseen)";
        }

        if (chosen.GetValueOrDefault(CacheFreeBackstop) is null)
        {
            yield return "slab: no backstop free program: frees the kernel skips while the free program runs are not counted (growth is judged net of them)";
        }

        yield return "slab: kmalloc-N net objects come from /proc/slabinfo: kfree() names neither the cache nor the size";
        if (chosen.GetValueOrDefault(OomVictim) is null)
        {
            yield return "slab: no mark_victim tracepoint: OOM kills are not reported";
        }
    }

    private static HookSpec Tracepoint(string name, string tracepoint, string program, bool required) => new(name,
    [
        new(AttachMethod.TpBtf, tracepoint, $"{program}_btf"),
        new(AttachMethod.RawTracepoint, tracepoint, $"{program}_raw"),
        new(AttachMethod.Tracepoint, $"kmem/{tracepoint}", $"{program}_tp"),
    ], required);
}
