using System.Runtime.InteropServices;
using Tracer.Interop.Native;

namespace Tracer.Interop;

/// <summary>A struct's layout as clang recorded it in an object's BTF: the reference the C# mirrors are checked against.</summary>
public sealed record BtfStruct(string Name, int Size, IReadOnlyList<BtfField> Fields)
{
    private const uint BtfKindStruct = 4;

    /// <summary>Reads <c>struct NAME</c> from the BTF of an opened (not necessarily loaded) object.</summary>
    public static unsafe BtfStruct Read(BpfObject obj, string name)
    {
        var btf = LibBpf.bpf_object__btf(obj.Pointer);
        if (btf == null)
        {
            throw new BpfException("bpf_object__btf", Errno.ENODATA, obj.Name);
        }

        using var utf8 = new Utf8String(name);
        var id = LibBpf.btf__find_by_name_kind(btf, utf8.Pointer, BtfKindStruct);
        if (id < 0)
        {
            throw new BpfException("btf__find_by_name_kind", -id, $"{obj.Name}: struct {name}");
        }

        var type = LibBpf.btf__type_by_id(btf, (uint)id);
        var count = (int)(type->info & 0xffff);
        var bitfieldLayout = (type->info & 0x80000000) != 0; // kind_flag: offset holds bitfield size too
        var members = (btf_member*)(type + 1);
        var fields = new List<BtfField>(count);
        for (var i = 0; i < count; i++)
        {
            var fieldName = Marshal.PtrToStringUTF8((IntPtr)LibBpf.btf__name_by_offset(btf, members[i].name_off)) ?? string.Empty;
            var bitOffset = bitfieldLayout ? members[i].offset & 0xffffff : members[i].offset;
            var size = LibBpf.btf__resolve_size(btf, members[i].type);
            fields.Add(new BtfField(fieldName, (int)(bitOffset / 8), (int)Errno.Check((int)size, "btf__resolve_size", fieldName)));
        }

        return new BtfStruct(name, (int)type->size, fields);
    }
}

public sealed record BtfField(string Name, int Offset, int Size);
