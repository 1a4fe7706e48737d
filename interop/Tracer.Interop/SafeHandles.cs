using System.Runtime.InteropServices;
using Tracer.Interop.Native;

namespace Tracer.Interop;

/// <summary>Owns a <c>struct bpf_object</c> and the ELF image libbpf reads it from.</summary>
internal sealed unsafe class BpfObjectHandle : SafeHandle
{
    private void* image;

    public BpfObjectHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero && image == null;

    internal bpf_object* Object => (bpf_object*)handle;

    /// <summary>libbpf keeps reading the image until the object is closed, so the image lives with it.</summary>
    internal void Adopt(bpf_object* obj, void* elfImage)
    {
        SetHandle((IntPtr)obj);
        image = elfImage;
    }

    protected override bool ReleaseHandle()
    {
        if (handle != IntPtr.Zero)
        {
            LibBpf.bpf_object__close((bpf_object*)handle);
        }

        NativeMemory.Free(image);
        image = null;
        return true;
    }
}

/// <summary>Owns a <c>struct bpf_link</c>; releasing it detaches the program.</summary>
public sealed unsafe class BpfLink : SafeHandle
{
    internal BpfLink(bpf_link* link, string description)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle((IntPtr)link);
        Description = description;
    }

    /// <summary>What was attached where, e.g. <c>tp_btf/tcp_probe</c>.</summary>
    public string Description { get; }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => LibBpf.bpf_link__destroy((bpf_link*)handle) == 0;

    public override string ToString() => Description;
}

/// <summary>Owns a <c>struct btf</c>.</summary>
internal sealed unsafe class BtfHandle : SafeHandle
{
    public BtfHandle(btf* btf)
        : base(IntPtr.Zero, ownsHandle: true) => SetHandle((IntPtr)btf);

    internal btf* Btf => (btf*)handle;

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LibBpf.btf__free((btf*)handle);
        return true;
    }
}

/// <summary>Owns a <c>struct perf_buffer</c>.</summary>
internal sealed unsafe class PerfBufferHandle : SafeHandle
{
    public PerfBufferHandle(perf_buffer* pb)
        : base(IntPtr.Zero, ownsHandle: true) => SetHandle((IntPtr)pb);

    internal perf_buffer* PerfBuffer => (perf_buffer*)handle;

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LibBpf.perf_buffer__free((perf_buffer*)handle);
        return true;
    }
}

/// <summary>Owns a plain file descriptor returned by the bpf syscall (an iterator, a program fd).</summary>
public sealed class BpfFd : SafeHandle
{
    internal BpfFd(int fd)
        : base(new IntPtr(-1), ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle == new IntPtr(-1);

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => LibC.close((int)handle) == 0;
}
