using System.Runtime.CompilerServices;
using System.Text;
using Tracer.BindGen;
using Tracer.Interop.Native;

namespace Tracer.Interop.Tests;

/// <summary>
/// Generated/LibBpf.g.cs against its generator and libbpf: the committed file is what BindGen
/// produces from the installed headers, the generated layouts are clang's, and the bindings call.
/// </summary>
public sealed unsafe class GeneratedBindingsTests
{
    private static readonly string RepoRoot = FindRepoRoot();

    [Fact]
    public void CommittedBindingsMatchTheGenerator()
    {
        var api = BindingGenerator.ReadApiList(Path.Combine(RepoRoot, "interop", "libbpf-api.txt"));
        var generated = Encoding.UTF8.GetBytes(BindingGenerator.Generate(BindingGenerator.DefaultHeaderDir, api));
        var committed = File.ReadAllBytes(Path.Combine(RepoRoot, "interop", "Tracer.Interop", "Generated", "LibBpf.g.cs"));

        Assert.True(generated.AsSpan().SequenceEqual(committed), "generated bindings are not up to date: run make bindings");
    }

    [Fact]
    public void StructSizesAreClangs()
    {
        var managed = new Dictionary<string, int>
        {
            ["struct bpf_object_open_opts"] = sizeof(bpf_object_open_opts),
            ["struct bpf_kprobe_opts"] = sizeof(bpf_kprobe_opts),
            ["struct bpf_iter_attach_opts"] = sizeof(bpf_iter_attach_opts),
            ["union bpf_iter_link_info"] = Unsafe.SizeOf<bpf_iter_link_info>(),
            ["struct ring_buffer_opts"] = sizeof(ring_buffer_opts),
            ["struct perf_buffer_opts"] = sizeof(perf_buffer_opts),
            ["struct bpf_test_run_opts"] = sizeof(bpf_test_run_opts),
            ["struct btf_type"] = sizeof(btf_type),
            ["struct btf_member"] = sizeof(btf_member),
            ["struct btf_enum"] = sizeof(btf_enum),
            ["struct btf_array"] = sizeof(btf_array),
            ["struct btf_var_secinfo"] = sizeof(btf_var_secinfo),
        };

        var clang = BindingGenerator.SizesOf(BindingGenerator.DefaultHeaderDir, managed.Keys);

        foreach (var (tag, size) in managed)
        {
            Assert.True(clang[tag] == size, $"sizeof({tag}): clang says {clang[tag]}, the generated struct is {size}");
        }
        Assert.Equal(12, sizeof(btf_type));
        Assert.Equal(12, sizeof(btf_member));
    }

    [Fact]
    public void UnionMembersShareTheirOffset()
    {
        var type = new btf_type { size = 0x1234 };

        Assert.Equal(0x1234u, type.type);
    }

    [Fact]
    public void CallsIntoLibbpf()
    {
        Assert.True(LibBpf.libbpf_num_possible_cpus() > 0);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tracer.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Tracer.sln not found above " + AppContext.BaseDirectory);
    }
}
