using System.Text;
using Tracer.Interop;

namespace Tracer.Output;

/// <summary>
/// Standard output for every command. A write that fails (a full disk, /dev/full) ends the
/// command with one line naming the operation and errno, like every other error.
/// </summary>
public static class StandardOutput
{
    /// <summary>Points <see cref="Console.Out"/> at <see cref="Open"/>; called once, before any command runs.</summary>
    public static void Install() =>
        Console.SetOut(TextWriter.Synchronized(new StreamWriter(Open(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { AutoFlush = true }));

    public static Stream Open() => new FailureNamingStream(Console.OpenStandardOutput());

    private sealed class FailureNamingStream(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            try
            {
                inner.Write(buffer);
            }
            catch (IOException e) when (e is not StandardOutputException)
            {
                throw new StandardOutputException(e);
            }
        }

        public override void Flush()
        {
            try
            {
                inner.Flush();
            }
            catch (IOException e) when (e is not StandardOutputException)
            {
                throw new StandardOutputException(e);
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>A write to standard output failed; on Linux the runtime carries the errno in <see cref="Exception.HResult"/>.</summary>
public sealed class StandardOutputException(IOException failure)
    : IOException($"writing to standard output: {(failure.HResult is > 0 and < 4096 ? Errno.Describe(failure.HResult) : failure.Message)}", failure);
