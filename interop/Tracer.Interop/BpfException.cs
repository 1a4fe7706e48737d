namespace Tracer.Interop;

/// <summary>A libbpf or kernel call failed: names the call and the errno it returned.</summary>
public sealed class BpfException : Exception
{
    public BpfException(string operation, int errno, string? detail = null)
        : base(Format(operation, errno, detail))
    {
        Operation = operation;
        Errno = errno;
    }

    /// <summary>The libbpf function or kernel operation that failed, e.g. <c>bpf_object__load</c>.</summary>
    public string Operation { get; }

    /// <summary>The positive errno value.</summary>
    public int Errno { get; }

    public string ErrnoName => Interop.Errno.Name(Errno);

    private static string Format(string operation, int errno, string? detail) =>
        $"{operation}{(detail is null ? "" : $" ({detail})")}: {Interop.Errno.Describe(errno)}";
}
