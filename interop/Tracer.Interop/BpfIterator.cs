using System.Buffers;
using System.Runtime.InteropServices;
using Tracer.Interop.Native;

namespace Tracer.Interop;

/// <summary>
/// Runs a BPF iterator (an <c>iter/…</c> program attached with <see cref="BpfProgram.Attach"/>):
/// each <see cref="ReadAll"/> creates a fresh iterator instance from the link and reads
/// what the program wrote with <c>bpf_seq_write</c> until end of file.
/// </summary>
public static unsafe class BpfIterator
{
    private const int ChunkBytes = 64 * 1024;

    /// <summary>Everything one pass of the iterator wrote, in order.</summary>
    public static byte[] ReadAll(BpfLink iteratorLink)
    {
        ArgumentNullException.ThrowIfNull(iteratorLink);
        var linkFd = Errno.Check(LibBpf.bpf_link__fd((bpf_link*)iteratorLink.DangerousGetHandle()), "bpf_link__fd", iteratorLink.Description);
        var fd = LibBpf.bpf_iter_create(linkFd);
        if (fd < 0)
        {
            throw new BpfException("bpf_iter_create", -fd, iteratorLink.Description);
        }

        using var iterator = new BpfFd(fd);
        var output = new ArrayBufferWriter<byte>(ChunkBytes);
        while (true)
        {
            var chunk = output.GetSpan(ChunkBytes);
            nint n;
            fixed (byte* buffer = chunk)
            {
                n = LibC.read(iterator.Fd, buffer, (nuint)chunk.Length);
            }

            if (n == 0)
            {
                return output.WrittenSpan.ToArray();
            }

            if (n < 0)
            {
                var errno = Marshal.GetLastSystemError();
                if (errno is Errno.EINTR or Errno.EAGAIN)
                {
                    continue;
                }

                throw new BpfException("read", errno, $"{iteratorLink.Description} iterator");
            }

            output.Advance((int)n);
        }
    }
}
