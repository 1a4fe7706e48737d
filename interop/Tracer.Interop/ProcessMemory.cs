namespace Tracer.Interop;

/// <summary>Memory the process no longer needs once its BPF objects are loaded.</summary>
public static class ProcessMemory
{
    /// <summary>
    /// Gives back what start-up used and dropped: the managed heap after parsing (kallsyms,
    /// BTF layouts), and the malloc arenas libbpf grew while it parsed the kernel's BTF.
    /// </summary>
    public static void ReleaseStartup()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        LibC.malloc_trim(0);
    }
}
