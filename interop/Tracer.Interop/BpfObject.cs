using System.Runtime.InteropServices;
using System.Text;
using Tracer.Interop.Native;

namespace Tracer.Interop;

/// <summary>
/// A BPF ELF object opened from memory. Lifecycle in separate steps, as libbpf
/// intends: <see cref="Open"/> → configure (constants, autoload, map sizes) →
/// <see cref="Load"/> → attach programs → read maps.
/// </summary>
public sealed unsafe class BpfObject : IDisposable
{
    private readonly BpfObjectHandle handle;

    private BpfObject(BpfObjectHandle handle, string name)
    {
        this.handle = handle;
        Name = name;
    }

    public string Name { get; }

    public bool IsLoaded { get; private set; }

    /// <summary>Opens an object from its ELF image; <paramref name="btfCustomPath"/> replaces the kernel's BTF for CO-RE.</summary>
    public static BpfObject Open(string name, ReadOnlySpan<byte> elfImage, string? btfCustomPath = null)
    {
        var handle = new BpfObjectHandle();
        var image = NativeMemory.Alloc((nuint)elfImage.Length);
        elfImage.CopyTo(new Span<byte>(image, elfImage.Length));
        using var objectName = new Utf8String(name);
        using var btfPath = new Utf8String(btfCustomPath);
        var opts = new bpf_object_open_opts
        {
            sz = (nuint)sizeof(bpf_object_open_opts),
            object_name = objectName.Pointer,
            btf_custom_path = btfPath.Pointer,
        };
        var obj = LibBpf.bpf_object__open_mem(image, (nuint)elfImage.Length, &opts);
        if (obj == null)
        {
            var errno = Marshal.GetLastSystemError();
            NativeMemory.Free(image);
            throw new BpfException("bpf_object__open_mem", errno, name);
        }

        handle.Adopt(obj, image);
        return new BpfObject(handle, name);
    }

    internal bpf_object* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(handle.IsClosed, this);
            return handle.Object;
        }
    }

    public IEnumerable<BpfProgram> Programs
    {
        get
        {
            var list = new List<BpfProgram>();
            for (var p = LibBpf.bpf_object__next_program(Pointer, null); p != null; p = LibBpf.bpf_object__next_program(Pointer, p))
            {
                list.Add(new BpfProgram(this, p));
            }

            return list;
        }
    }

    public IEnumerable<BpfMap> Maps
    {
        get
        {
            var list = new List<BpfMap>();
            for (var m = LibBpf.bpf_object__next_map(Pointer, null); m != null; m = LibBpf.bpf_object__next_map(Pointer, m))
            {
                list.Add(new BpfMap(this, m));
            }

            return list;
        }
    }

    public BpfProgram Program(string name)
    {
        using var utf8 = new Utf8String(name);
        var p = LibBpf.bpf_object__find_program_by_name(Pointer, utf8.Pointer);
        return p == null ? throw new BpfException("bpf_object__find_program_by_name", Errno.ENOENT, $"{Name}: {name}") : new BpfProgram(this, p);
    }

    public BpfMap Map(string name)
    {
        using var utf8 = new Utf8String(name);
        var m = LibBpf.bpf_object__find_map_by_name(Pointer, utf8.Pointer);
        return m == null ? throw new BpfException("bpf_object__find_map_by_name", Errno.ENOENT, $"{Name}: {name}") : new BpfMap(this, m);
    }

    /// <summary>Sets a <c>const volatile</c> global before load (it lands in the object's .rodata).</summary>
    public void SetConstant<T>(string name, T value)
        where T : unmanaged => SetConstant(name, new ReadOnlySpan<byte>(&value, sizeof(T)));

    public void SetConstant(string name, ReadOnlySpan<byte> value)
    {
        if (IsLoaded)
        {
            throw new InvalidOperationException($"{Name}: constant {name} must be set before load");
        }

        var (offset, size) = FindRodataVariable(name);
        if (value.Length > size)
        {
            throw new ArgumentException($"{Name}: constant {name} holds {size} bytes, got {value.Length}");
        }

        var rodata = Maps.Single(m => m.Name.EndsWith(".rodata", StringComparison.Ordinal));
        nuint dataSize;
        var data = (byte*)LibBpf.bpf_map__initial_value(rodata.Pointer, &dataSize);
        if (data == null || offset + size > (int)dataSize)
        {
            throw new BpfException("bpf_map__initial_value", Errno.ENOENT, $"{Name}: .rodata");
        }

        var target = new Span<byte>(data + offset, size);
        target.Clear();
        value.CopyTo(target);
    }

    public void Load()
    {
        Errno.Check(LibBpf.bpf_object__load(Pointer), "bpf_object__load", Name);
        IsLoaded = true;
    }

    public void Dispose() => handle.Dispose();

    private (int Offset, int Size) FindRodataVariable(string name)
    {
        var btf = BtfTypes.Of(this);
        var datasec = BtfTypes.Find(btf, ".rodata", BtfKind.Datasec, $"{Name}: .rodata");
        var count = BtfTypes.Vlen(datasec);
        var vars = (btf_var_secinfo*)(datasec + 1);
        for (var i = 0; i < count; i++)
        {
            var variable = LibBpf.btf__type_by_id(btf, vars[i].type);
            if (BtfTypes.Name(btf, variable->name_off) == name)
            {
                return ((int)vars[i].offset, (int)vars[i].size);
            }
        }

        throw new ArgumentException($"{Name}: no constant named {name}");
    }
}

/// <summary>A program inside a <see cref="BpfObject"/>; valid while its object lives.</summary>
public readonly unsafe struct BpfProgram
{
    private readonly BpfObject owner;
    private readonly bpf_program* program;

    internal BpfProgram(BpfObject owner, bpf_program* program)
    {
        this.owner = owner;
        this.program = program;
    }

    public string Name => Utf8String.Read(LibBpf.bpf_program__name(Pointer));

    public string SectionName => Utf8String.Read(LibBpf.bpf_program__section_name(Pointer));

    public bool Autoload
    {
        get => LibBpf.bpf_program__autoload(Pointer) != 0;
        set => Errno.Check(LibBpf.bpf_program__set_autoload(Pointer, value ? (byte)1 : (byte)0), "bpf_program__set_autoload", Name);
    }

    public int Fd => Errno.Check(LibBpf.bpf_program__fd(Pointer), "bpf_program__fd", Name);

    private bpf_program* Pointer
    {
        get
        {
            _ = owner.Pointer;
            return program;
        }
    }

    /// <summary>Retargets an fentry/fexit program to another kernel function (renamed symbols).</summary>
    public void SetAttachTarget(string function)
    {
        using var utf8 = new Utf8String(function);
        Errno.Check(LibBpf.bpf_program__set_attach_target(Pointer, 0, utf8.Pointer), "bpf_program__set_attach_target", $"{Name} → {function}");
    }

    /// <summary>Attaches by the program's section (fentry, tp_btf, raw_tp, tracepoint, iter …).</summary>
    public BpfLink Attach()
    {
        var link = LibBpf.bpf_program__attach(Pointer);
        return Wrap(link, "bpf_program__attach", SectionName);
    }

    public BpfLink AttachKprobe(string function, bool retprobe = false)
    {
        using var utf8 = new Utf8String(function);
        var link = LibBpf.bpf_program__attach_kprobe(Pointer, retprobe ? (byte)1 : (byte)0, utf8.Pointer);
        return Wrap(link, "bpf_program__attach_kprobe", $"{(retprobe ? "kretprobe" : "kprobe")}/{function}");
    }

    public BpfLink AttachTracepoint(string category, string name)
    {
        using var cat = new Utf8String(category);
        using var tp = new Utf8String(name);
        var link = LibBpf.bpf_program__attach_tracepoint(Pointer, cat.Pointer, tp.Pointer);
        return Wrap(link, "bpf_program__attach_tracepoint", $"tracepoint/{category}/{name}");
    }

    public BpfLink AttachRawTracepoint(string name)
    {
        using var utf8 = new Utf8String(name);
        var link = LibBpf.bpf_program__attach_raw_tracepoint(Pointer, utf8.Pointer);
        return Wrap(link, "bpf_program__attach_raw_tracepoint", $"raw_tp/{name}");
    }

    /// <summary>
    /// Runs the program once on the calling thread (BPF_PROG_TEST_RUN, e.g. a <c>syscall</c> program)
    /// with <paramref name="context"/> as its context; returns the program's return value.
    /// </summary>
    public uint TestRun(ReadOnlySpan<byte> context)
    {
        fixed (byte* input = context)
        {
            var options = new bpf_test_run_opts { sz = (nuint)sizeof(bpf_test_run_opts), ctx_in = input, ctx_size_in = (uint)context.Length };
            Errno.Check(LibBpf.bpf_prog_test_run_opts(Fd, &options), "bpf_prog_test_run_opts", Name);
            return options.retval;
        }
    }

    public override string ToString() => Name;

    private BpfLink Wrap(bpf_link* link, string operation, string description)
    {
        if (link == null)
        {
            throw new BpfException(operation, Marshal.GetLastSystemError(), $"{Name} → {description}");
        }

        return new BpfLink(link, description);
    }
}

/// <summary>A map inside a <see cref="BpfObject"/>; valid while its object lives.</summary>
public readonly unsafe struct BpfMap
{
    private readonly BpfObject owner;
    private readonly bpf_map* map;

    internal BpfMap(BpfObject owner, bpf_map* map)
    {
        this.owner = owner;
        this.map = map;
    }

    public string Name => Utf8String.Read(LibBpf.bpf_map__name(Pointer));

    public int Fd => Errno.Check(LibBpf.bpf_map__fd(Pointer), "bpf_map__fd", Name);

    public uint MaxEntries
    {
        get => LibBpf.bpf_map__max_entries(Pointer);
        set => Errno.Check(LibBpf.bpf_map__set_max_entries(Pointer, value), "bpf_map__set_max_entries", Name);
    }

    /// <summary>The map's kind; only <see cref="MapKind.RingBuffer"/> → <see cref="MapKind.PerfEventArray"/> is ever set.</summary>
    public MapKind Kind
    {
        get => LibBpf.bpf_map__type(Pointer) switch
        {
            bpf_map_type.BPF_MAP_TYPE_RINGBUF => MapKind.RingBuffer,
            bpf_map_type.BPF_MAP_TYPE_PERF_EVENT_ARRAY => MapKind.PerfEventArray,
            bpf_map_type.BPF_MAP_TYPE_HASH or bpf_map_type.BPF_MAP_TYPE_LRU_HASH or bpf_map_type.BPF_MAP_TYPE_PERCPU_HASH
                or bpf_map_type.BPF_MAP_TYPE_LRU_PERCPU_HASH or bpf_map_type.BPF_MAP_TYPE_STACK_TRACE => MapKind.Hash,
            bpf_map_type.BPF_MAP_TYPE_ARRAY or bpf_map_type.BPF_MAP_TYPE_PERCPU_ARRAY => MapKind.Array,
            _ => MapKind.Other,
        };
        set => Errno.Check(LibBpf.bpf_map__set_type(Pointer, value switch
        {
            MapKind.RingBuffer => bpf_map_type.BPF_MAP_TYPE_RINGBUF,
            MapKind.PerfEventArray => bpf_map_type.BPF_MAP_TYPE_PERF_EVENT_ARRAY,
            _ => throw new ArgumentOutOfRangeException(nameof(value), value, "only event transports can be switched"),
        }), "bpf_map__set_type", Name);
    }

    public uint KeySize
    {
        get => LibBpf.bpf_map__key_size(Pointer);
        set => Errno.Check(LibBpf.bpf_map__set_key_size(Pointer, value), "bpf_map__set_key_size", Name);
    }

    public uint ValueSize
    {
        get => LibBpf.bpf_map__value_size(Pointer);
        set => Errno.Check(LibBpf.bpf_map__set_value_size(Pointer, value), "bpf_map__set_value_size", Name);
    }

    internal bpf_map* Pointer
    {
        get
        {
            _ = owner.Pointer;
            return map;
        }
    }

    /// <summary>Looks a key up; false when absent. <paramref name="value"/> must be the map's full value size (all CPUs for per-CPU maps).</summary>
    public bool TryLookup<TKey>(TKey key, Span<byte> value)
        where TKey : unmanaged
    {
        fixed (byte* v = value)
        {
            var result = LibBpf.bpf_map__lookup_elem(Pointer, &key, (nuint)sizeof(TKey), v, (nuint)value.Length, 0);
            return result == -Errno.ENOENT ? false : Errno.Check(result, "bpf_map__lookup_elem", Name) == 0;
        }
    }

    public void Update<TKey, TValue>(TKey key, TValue value)
        where TKey : unmanaged
        where TValue : unmanaged =>
        Errno.Check(LibBpf.bpf_map__update_elem(Pointer, &key, (nuint)sizeof(TKey), &value, (nuint)sizeof(TValue), 0), "bpf_map__update_elem", Name);

    public static int PossibleCpus => Errno.Check(LibBpf.libbpf_num_possible_cpus(), "libbpf_num_possible_cpus");

    /// <summary>Every possible CPU's value of a per-CPU map's key, one element per CPU; false when the key is absent.</summary>
    public bool TryLookupPerCpu<TKey, TValue>(TKey key, Span<TValue> perCpu)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        // the kernel copies per-CPU values at an 8-byte stride
        if (sizeof(TValue) % 8 != 0 || perCpu.Length != PossibleCpus)
        {
            throw new ArgumentException($"{Name}: per-CPU values of {typeof(TValue).Name} need one element per possible CPU and a size that is a multiple of 8");
        }

        return TryLookup(key, MemoryMarshal.AsBytes(perCpu));
    }

    /// <summary>Sums a per-CPU array's u64 slot over every possible CPU.</summary>
    public ulong SumPerCpu(uint index)
    {
        var cpus = PossibleCpus;
        Span<ulong> values = cpus <= 256 ? stackalloc ulong[cpus] : new ulong[cpus];
        if (!TryLookupPerCpu(index, values))
        {
            return 0;
        }

        ulong sum = 0;
        foreach (var v in values)
        {
            sum += v;
        }

        return sum;
    }

    public override string ToString() => Name;
}

/// <summary>The kinds of map the loader treats differently (hash-like maps are shrunk in scratch loads).</summary>
public enum MapKind
{
    Other,
    RingBuffer,
    PerfEventArray,
    Hash,
    Array,
}

/// <summary>A NUL-terminated UTF-8 copy of a string in native memory, for one call.</summary>
internal readonly unsafe struct Utf8String : IDisposable
{
    public Utf8String(string? value)
    {
        if (value is null)
        {
            Pointer = null;
            return;
        }

        var count = Encoding.UTF8.GetByteCount(value);
        Pointer = (byte*)NativeMemory.Alloc((nuint)count + 1);
        var span = new Span<byte>(Pointer, count + 1);
        Encoding.UTF8.GetBytes(value, span);
        span[count] = 0;
    }

    public byte* Pointer { get; }

    public static string Read(byte* text) => text == null ? string.Empty : Marshal.PtrToStringUTF8((IntPtr)text) ?? string.Empty;

    public void Dispose() => NativeMemory.Free(Pointer);
}
