using Tracer.Analysis.Slab;

namespace Tracer.Analysis.Tests.Slab;

public sealed class StackFoldingTests
{
    [Fact]
    public void SocketAllocationFoldsToTheSyscallAndTheAllocatingFunction()
    {
        string[] stack =
        [
            "bpf_prog_6deef7357e7b4530_cache_alloc_btf", "bpf_trace_run5", "kmem_cache_alloc_lru_noprof", "sock_alloc_inode",
            "alloc_inode", "new_inode_pseudo", "sock_alloc", "__sock_create", "__sys_socket", "__x64_sys_socket", "do_syscall_64",
            "entry_SYSCALL_64_after_hwframe",
        ];
        var folded = StackFolding.Fold(stack);
        Assert.Equal(["sock_alloc_inode", "alloc_inode", "new_inode_pseudo", "sock_alloc", "__sock_create", "__sys_socket"], folded);
        Assert.Equal("__sys_socket → sock_alloc_inode", StackFolding.Summary(folded));
    }

    [Fact]
    public void UnnamedTracingFramesAndCompilerClonesAreHandled()
    {
        string[] stack = ["_einittext", "bpf_trace_run5", "__kmalloc_noprof", "apparmor_file_alloc_security.isra.0", "security_file_alloc", "do_syscall_64"];
        Assert.Equal("security_file_alloc → apparmor_file_alloc_security", StackFolding.Summary(StackFolding.Fold(stack)));
    }

    [Fact]
    public void KallsymsResolveToTheContainingFunction()
    {
        var symbols = KernelSymbols.Parse(new StringReader(
            "ffffffff81000000 T _stext\nffffffff81e2b4a0 t sock_alloc_inode\nffffffff81e2b600 d some_data\nffffffff81e2e0d0 T __sys_socket\nffffffffc0001000 t bpf_prog_abc_cache_alloc_btf\t[bpf]\n"));
        Assert.Equal(4, symbols.Count);
        Assert.Equal("sock_alloc_inode", symbols.Resolve(0xffffffff81e2b4a0 + 0x40));
        Assert.Equal("__sys_socket", symbols.Resolve(0xffffffff81e2e0d0));
        Assert.Equal("bpf_prog_abc_cache_alloc_btf", symbols.Resolve(0xffffffffc0001010));
        Assert.Equal("0x1000", symbols.Resolve(0x1000));
    }

    [Fact]
    public void SlabinfoAndMeminfoParse()
    {
        var slabinfo = ProcSlab.ParseSlabinfo(
            "slabinfo - version: 2.1\n# name <active_objs> <num_objs> <objsize> ...\nsock_inode_cache     133    133    832   19    4 : tunables    0    0    0 : slabdata      7      7      0\n"u8);
        Assert.Equal(new SlabinfoEntry("sock_inode_cache", 133, 832), slabinfo["sock_inode_cache"]);
        Assert.Equal(25842956, ProcSlab.ParseSUnreclaimKb("MemTotal: 1 kB\nSUnreclaim:     25842956 kB\n"u8));
        Assert.Null(ProcSlab.ParseSUnreclaimKb("MemTotal: 1 kB\n"u8));
    }

    [Fact]
    public void SlabinfoLinesThatAreNotCachesAreSkippedAndTheLastLineNeedsNoNewline()
    {
        var slabinfo = ProcSlab.ParseSlabinfo("slabinfo - version: 2.1\n\nbroken 12\nnegative -3 4 64 1 1\nkmalloc-64\t640 640 64 64 1\ndentry 10 20 192 21 1"u8);
        Assert.Equal(["dentry", "kmalloc-64"], slabinfo.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(new SlabinfoEntry("kmalloc-64", 640, 64), slabinfo["kmalloc-64"]);
        Assert.Equal(new SlabinfoEntry("dentry", 10, 192), slabinfo["dentry"]);
    }

    [Fact]
    public void AnUnchangedCacheKeepsItsEntryAndAChangedOneGetsANewEntryUnderTheSameName()
    {
        var first = ProcSlab.ParseSlabinfo("dentry 10 20 192 21 1\nfilp 5 5 256 16 1\n"u8);
        var second = ProcSlab.ParseSlabinfo("dentry 10 20 192 21 1\nfilp 6 6 256 16 1\n"u8, first);
        Assert.Same(first["dentry"], second["dentry"]);
        Assert.Equal(new SlabinfoEntry("filp", 6, 256), second["filp"]);
        Assert.Same(first["filp"].Name, second["filp"].Name);
    }
}
