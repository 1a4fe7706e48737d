using System.Runtime.InteropServices;
using Tracer.Interop.Native;

namespace Tracer.Interop;

/// <summary>A struct's layout as BTF records it: the reference the C# mirrors are checked against.</summary>
public sealed record BtfStruct(string Name, int Size, IReadOnlyList<BtfField> Fields)
{
    /// <summary>Reads <c>struct NAME</c> from the BTF of an opened (not necessarily loaded) object.</summary>
    public static unsafe BtfStruct Read(BpfObject obj, string name) => Read(BtfTypes.Of(obj), name, obj.Name);

    /// <summary>Reads <c>struct NAME</c> from the running kernel's BTF.</summary>
    public static unsafe BtfStruct ReadKernel(string name)
    {
        using var kernel = BtfTypes.Kernel();
        return Read(kernel.Btf, name, BtfTypes.KernelName);
    }

    private static unsafe BtfStruct Read(btf* btf, string name, string source)
    {
        var type = BtfTypes.Find(btf, name, BtfKind.Struct, $"{source}: struct {name}");
        var count = BtfTypes.Vlen(type);
        var bitfieldLayout = BtfTypes.KindFlag(type); // offset holds bitfield size too
        var members = (btf_member*)(type + 1);
        var fields = new List<BtfField>(count);
        for (var i = 0; i < count; i++)
        {
            var fieldName = BtfTypes.Name(btf, members[i].name_off);
            var bitOffset = bitfieldLayout ? members[i].offset & 0xffffff : members[i].offset;
            var size = LibBpf.btf__resolve_size(btf, members[i].type);
            fields.Add(new BtfField(fieldName, (int)(bitOffset / 8), (int)Errno.Check((int)size, "btf__resolve_size", fieldName)));
        }

        return new BtfStruct(name, (int)type->size, fields);
    }
}

public sealed record BtfField(string Name, int Offset, int Size);

/// <summary>
/// An enum as BTF records it (<c>BTF_KIND_ENUM</c>: values of up to 32 bits): the reference the
/// C# mirrors of C enums are checked against.
/// </summary>
public sealed record BtfEnum(string Name, IReadOnlyList<BtfEnumerator> Enumerators)
{
    /// <summary>
    /// Reads <c>enum NAME</c> from the BTF of an opened object. clang writes an enum there only when
    /// the object uses it as a type (a map's value, a kept global), not for its constants alone.
    /// </summary>
    public static unsafe BtfEnum Read(BpfObject obj, string name)
    {
        var btf = BtfTypes.Of(obj);
        return Read(btf, BtfTypes.Find(btf, name, BtfKind.Enum, $"{obj.Name}: enum {name}"));
    }

    /// <summary>The running kernel's enum that declares <paramref name="enumerator"/>: many kernel enums have no name.</summary>
    public static unsafe BtfEnum ReadKernelDeclaring(string enumerator)
    {
        using var kernel = BtfTypes.Kernel();
        var btf = kernel.Btf;
        var count = LibBpf.btf__type_cnt(btf);
        for (var id = 1u; id < count; id++)
        {
            var type = LibBpf.btf__type_by_id(btf, id);
            if (BtfTypes.Kind(type) == BtfKind.Enum && Read(btf, type) is var candidate && candidate.Enumerators.Any(e => e.Name == enumerator))
            {
                return candidate;
            }
        }

        throw new BpfException("btf__type_by_id", Errno.ENOENT, $"{BtfTypes.KernelName}: no enum declares {enumerator}");
    }

    private static unsafe BtfEnum Read(btf* btf, btf_type* type)
    {
        var count = BtfTypes.Vlen(type);
        var signed = BtfTypes.KindFlag(type);
        var values = (btf_enum*)(type + 1);
        var enumerators = new List<BtfEnumerator>(count);
        for (var i = 0; i < count; i++)
        {
            enumerators.Add(new BtfEnumerator(BtfTypes.Name(btf, values[i].name_off), signed ? values[i].val : (uint)values[i].val));
        }

        return new BtfEnum(BtfTypes.Name(btf, type->name_off), enumerators);
    }
}

public sealed record BtfEnumerator(string Name, long Value);

/// <summary>The kinds of BTF type the readers look for (<c>BTF_KIND_*</c>, include/uapi/linux/btf.h).</summary>
internal enum BtfKind : uint
{
    Struct = 4,
    Enum = 6,
    Datasec = 15,
}

/// <summary>Where the readers find BTF, and the fields of <c>struct btf_type</c>'s info word.</summary>
internal static unsafe class BtfTypes
{
    public const string KernelName = "vmlinux";

    public static btf* Of(BpfObject obj)
    {
        var btf = LibBpf.bpf_object__btf(obj.Pointer);
        return btf != null ? btf : throw new BpfException("bpf_object__btf", Errno.ENODATA, obj.Name);
    }

    /// <summary>The running kernel's BTF (/sys/kernel/btf/vmlinux).</summary>
    public static BtfHandle Kernel()
    {
        var btf = LibBpf.btf__load_vmlinux_btf();
        return btf != null ? new BtfHandle(btf) : throw new BpfException("btf__load_vmlinux_btf", Marshal.GetLastSystemError());
    }

    public static btf_type* Find(btf* btf, string name, BtfKind kind, string what)
    {
        using var utf8 = new Utf8String(name);
        var id = LibBpf.btf__find_by_name_kind(btf, utf8.Pointer, (uint)kind);
        return id < 0 ? throw new BpfException("btf__find_by_name_kind", -id, what) : LibBpf.btf__type_by_id(btf, (uint)id);
    }

    public static string Name(btf* btf, uint offset) => Utf8String.Read(LibBpf.btf__name_by_offset(btf, offset));

    public static BtfKind Kind(btf_type* type) => (BtfKind)((type->info >> 24) & 0x1f);

    /// <summary>How many members, enumerators or variables follow the type.</summary>
    public static int Vlen(btf_type* type) => (int)(type->info & 0xffff);

    /// <summary>Structs: member offsets carry bitfield sizes; enums: the values are signed.</summary>
    public static bool KindFlag(btf_type* type) => (type->info & 0x80000000) != 0;
}
