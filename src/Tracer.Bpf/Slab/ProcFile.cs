using Microsoft.Win32.SafeHandles;

namespace Tracer.Bpf.Slab;

/// <summary>
/// A /proc text file read whole every housekeeping tick: opened once, read from offset 0 (a seq_file
/// then renders it afresh) into one buffer that is kept, in as few reads as the buffer allows.
/// </summary>
internal sealed class ProcFile(string path) : IDisposable
{
    private readonly SafeFileHandle handle = File.OpenHandle(path);
    private byte[] buffer = new byte[64 * 1024];

    /// <summary>The file's whole text now; valid until the next call.</summary>
    public ReadOnlySpan<byte> Read()
    {
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var read = RandomAccess.Read(handle, buffer.AsSpan(length), length);
            if (read == 0)
            {
                return buffer.AsSpan(0, length);
            }

            length += read;
        }
    }

    public void Dispose() => handle.Dispose();
}
