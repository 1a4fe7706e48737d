using System.Globalization;
using System.Reflection;
using System.Text;
using Tracer.Analysis.Overhead;
using Tracer.Analysis.Resets;
using Tracer.Analysis.Tcp;
using Tracer.Interop.Events;

namespace Tracer.Interop.Tests;

/// <summary>
/// Every enum and constant the C# side mirrors from C, against the BTF that is its truth: the
/// compiled objects' for bpf/include/tracer_events.h, the running kernel's for the kernel's own.
/// </summary>
public sealed class MirroredConstantTests
{
    /// <summary>C# members whose name says in words what the C enumerator abbreviates (the part after the prefix).</summary>
    private static readonly Dictionary<(Type Mirror, string Member), string> Renamed = new()
    {
        [(typeof(EmitReason), nameof(EmitReason.ZeroWindowEnter))] = "ZERO_WND_ENTER",
        [(typeof(EmitReason), nameof(EmitReason.ZeroWindowLeave))] = "ZERO_WND_LEAVE",
        [(typeof(PendingTimer), nameof(PendingTimer.Retransmit))] = "RETRANS",
        [(typeof(PendingTimer), nameof(PendingTimer.DelayedAck))] = "DACK",
        [(typeof(PendingTimer), nameof(PendingTimer.Persist))] = "PROBE0",
        [(typeof(PendingTimer), nameof(PendingTimer.ReorderTimeout))] = "REO_TIMEOUT",
        [(typeof(SnapshotTimer), nameof(SnapshotTimer.Retransmit))] = "RETRANS",
        [(typeof(SlabCacheKeyKind), nameof(SlabCacheKeyKind.CachePointer))] = "CACHE_PTR",
        [(typeof(RstReason), nameof(RstReason.InvalidAck))] = "INVALID_ACK",
        [(typeof(RstReason), nameof(RstReason.Timewait))] = "TIMEWAIT",
    };

    public static TheoryData<string, string, Type, string> Enums => new()
    {
        { "tcpwin", "tcp_emit_reason", typeof(EmitReason), "TCP_EMIT_" },
        { "tcpwin", "tcp_detail", typeof(DetailLevel), "TCP_DETAIL_" },
        { "tcpwin", "tcp_pending_timer", typeof(PendingTimer), "TCP_TIMER_" },
        { "tcpwin", "tracer_addr_family", typeof(LinuxAddressFamily), "TRACER_AF_" },
        { "tcpsnap", "tcp_pending_timer", typeof(PendingTimer), "TCP_TIMER_" },
        { "tcpsnap", "tcp_snapshot_timer", typeof(SnapshotTimer), "TCP_SNAP_TIMER_" },
        { "tcpsnap", "tracer_addr_family", typeof(LinuxAddressFamily), "TRACER_AF_" },
        { "slab", "slab_stat", typeof(SlabStat), "SLAB_STAT_" },
        { "slab", "slab_cache_key_kind", typeof(SlabCacheKeyKind), "SLAB_KEY_" },
        { "resets", "reset_event_kind", typeof(ResetEventKind), "RESET_EV_" },
        { "resets", "tracer_rst_reason", typeof(RstReason), "RST_REASON_" },
        { "fdscan", "open_file_kind", typeof(OpenFileKind), "OPEN_FILE_" },
    };

    /// <summary>Kernel enums the C# side reads values of; the kernel's may name more than C# reads.</summary>
    public static TheoryData<string, Type, string> KernelEnums => new()
    {
        { "TCP_ESTABLISHED", typeof(TcpState), "TCP_" }, // tcp_socket_snapshot.state and reset_event.state are sk->skc_state
        { "BTF_KIND_STRUCT", typeof(BtfKind), "BTF_KIND_" },
    };

    [Theory]
    [MemberData(nameof(Enums))]
    public void EnumMirrorHasExactlyTheCompiledEnumerators(string objectName, string enumName, Type mirror, string prefix)
    {
        using var obj = BpfObject.Open(objectName, File.ReadAllBytes(RepoPaths.BpfObject(objectName)));
        var c = BtfEnum.Read(obj, enumName).Enumerators.ToDictionary(e => e.Name, e => e.Value);

        // a trailing *_COUNT sizes a table: it is the number of the others, not a value to mirror
        if (c.Remove(prefix + "COUNT", out var count))
        {
            Assert.Equal(c.Count, count);
        }

        Assert.Equal(Listing(c), Listing(Mirrored(mirror, prefix)));
    }

    [Theory]
    [MemberData(nameof(KernelEnums))]
    public void KernelEnumMirrorMatchesTheRunningKernel(string anyEnumerator, Type mirror, string prefix)
    {
        var kernel = BtfEnum.ReadKernelDeclaring(anyEnumerator).Enumerators.ToDictionary(e => e.Name, e => e.Value);

        foreach (var (name, value) in Mirrored(mirror, prefix))
        {
            Assert.True(kernel.TryGetValue(name, out var kernelValue), $"{mirror.Name}: the kernel has no {name}");
            Assert.True(kernelValue == value, $"{mirror.Name}: {name} is {value} in C#, {kernelValue} in the kernel");
        }
    }

    [Fact]
    public void CommLengthIsTheLengthOfEveryCommField()
    {
        foreach (var (objectName, structName, field) in new[]
        {
            ("tcpwin", "tcp_window_event", "owner_comm"),
            ("tcpwin", "tcp_owner", "comm"),
            ("slab", "slab_object", "comm"),
            ("slab", "slab_oom_event", "victim_comm"),
            ("slab", "slab_oom_event", "trigger_comm"),
            ("resets", "reset_event", "comm"),
        })
        {
            Assert.True(TcpWindowEvent.CommLength == FieldSize(objectName, structName, field), $"{structName}.{field}");
        }
    }

    [Fact]
    public void SlabNameLengthIsTheCacheInfoNameLength() =>
        Assert.Equal(SlabCacheInfo.NameLength, FieldSize("slab", "slab_cache_info", "name"));

    [Fact]
    public void SlabTableSizesAreTheCompiledMaps()
    {
        using var obj = BpfObject.Open("slab", File.ReadAllBytes(RepoPaths.BpfObject("slab")));

        Assert.Equal((uint)SlabCacheSlot.Count, obj.Map("caches").MaxEntries);
        Assert.Equal((uint)(SlabObject.StackDepth * sizeof(ulong)), obj.Map("stacks").ValueSize);
    }

    [Fact]
    public void RecursionMissesOffsetIsTheKernelsBpfProgInfoField() =>
        Assert.Equal(SlabMaps.RecursionMissesOffset, BtfStruct.ReadKernel("bpf_prog_info").Fields.Single(f => f.Name == "recursion_misses").Offset);

    [Fact]
    public void RingBufferHeaderBitsAreTheKernels()
    {
        var kernel = BtfEnum.ReadKernelDeclaring("BPF_RINGBUF_BUSY_BIT").Enumerators.ToDictionary(e => e.Name, e => e.Value);

        Assert.Equal(MappedRingBuffer.BusyBit, kernel["BPF_RINGBUF_BUSY_BIT"]);
        Assert.Equal(MappedRingBuffer.DiscardBit, kernel["BPF_RINGBUF_DISCARD_BIT"]);
        Assert.Equal(MappedRingBuffer.HeaderSize, kernel["BPF_RINGBUF_HDR_SZ"]);
    }

    /// <summary>The C# members by the C name they mirror; a [Flags] enum's empty set (0) has no C name.</summary>
    private static Dictionary<string, long> Mirrored(Type mirror, string prefix) =>
        mirror.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(member => (member.Name, Value: Convert.ToInt64(member.GetRawConstantValue(), CultureInfo.InvariantCulture)))
            .Where(member => !(member.Value == 0 && mirror.IsDefined(typeof(FlagsAttribute), false)))
            .ToDictionary(member => prefix + (Renamed.TryGetValue((mirror, member.Name), out var c) ? c : UpperSnake(member.Name)), member => member.Value);

    /// <summary>ZeroWindowEnter → ZERO_WINDOW_ENTER, Wl1Lag → WL1_LAG.</summary>
    private static string UpperSnake(string pascal)
    {
        var snake = new StringBuilder();
        for (var i = 0; i < pascal.Length; i++)
        {
            if (i > 0 && char.IsUpper(pascal[i]) && !char.IsUpper(pascal[i - 1]))
            {
                snake.Append('_');
            }

            snake.Append(char.ToUpperInvariant(pascal[i]));
        }

        return snake.ToString();
    }

    private static IEnumerable<string> Listing(Dictionary<string, long> enumerators) =>
        enumerators.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key} = {e.Value}");

    private static int FieldSize(string objectName, string structName, string field)
    {
        using var obj = BpfObject.Open(objectName, File.ReadAllBytes(RepoPaths.BpfObject(objectName)));
        return BtfStruct.Read(obj, structName).Fields.Single(f => f.Name == field).Size;
    }
}
