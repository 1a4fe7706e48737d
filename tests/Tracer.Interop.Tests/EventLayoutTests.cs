using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tracer.Interop;
using Tracer.Interop.Events;

namespace Tracer.Interop.Tests;

/// <summary>
/// The C# mirrors of bpf/include/tracer_events.h against the BTF clang wrote
/// into the compiled objects: size, field names, order and every offset.
/// </summary>
public sealed class EventLayoutTests
{
    public static TheoryData<string, string, Type> Records => new()
    {
        { "tcpwin", "tcp_window_event", typeof(TcpWindowEvent) },
        { "tcpwin", "tcp_owner", typeof(TcpOwner) },
        { "slab", "slab_cache_key", typeof(SlabCacheKey) },
        { "slab", "slab_cache_counts", typeof(SlabCacheCounts) },
        { "slab", "slab_cache_slot", typeof(SlabCacheSlot) },
        { "slab", "slab_cache_info", typeof(SlabCacheInfo) },
        { "slab", "slab_object", typeof(SlabObject) },
        { "slab", "slab_oom_event", typeof(SlabOomEvent) },
        { "tcpsnap", "tcp_socket_snapshot", typeof(TcpSocketSnapshot) },
        { "resets", "reset_event", typeof(ResetEvent) },
        { "fdscan", "open_file_record", typeof(OpenFileRecord) },
    };

    [Theory]
    [MemberData(nameof(Records))]
    public void MirrorMatchesCompiledBtf(string objectName, string structName, Type mirror)
    {
        using var obj = BpfObject.Open(objectName, File.ReadAllBytes(RepoPaths.BpfObject(objectName)));
        var btf = BtfStruct.Read(obj, structName);

        Assert.Equal(btf.Size, Marshal.SizeOf(mirror));
        var managed = mirror.GetFields().Where(f => !f.IsStatic && !f.IsLiteral).Select(f => f.Name).ToList();
        Assert.Equal(btf.Fields.Select(f => f.Name), managed);
        foreach (var field in btf.Fields)
        {
            Assert.True(field.Offset == (int)Marshal.OffsetOf(mirror, field.Name), $"{structName}.{field.Name}: BTF offset {field.Offset}, C# {Marshal.OffsetOf(mirror, field.Name)}");
            var fieldType = mirror.GetField(field.Name)!.FieldType;
            var managedSize = fieldType.IsValueType ? (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(fieldType).Invoke(null, null)! : -1;
            Assert.True(field.Size == managedSize, $"{structName}.{field.Name}: BTF size {field.Size}, C# {managedSize}");
        }
    }
}
