namespace Tracer.Telemetry.Implementation;

/// <summary>
/// An append-only JSON Lines file, rotated by size: <c>name</c> is renamed to <c>name.1</c>
/// (<c>name.1</c> to <c>name.2</c>, …) once the next line would pass <see cref="MaxBytes"/>,
/// and at most <see cref="Keep"/> files are kept. Files are created 0600.
/// </summary>
internal sealed class RotatingFile : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly Lock gate = new();
    private FileStream stream;

    public RotatingFile(string path, long maxBytes, int keep)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        Path = path;
        MaxBytes = maxBytes;
        Keep = keep;
        stream = Open(path);
    }

    public string Path { get; }

    public long MaxBytes { get; }

    public int Keep { get; }

    /// <summary>Appends <paramref name="line"/> and a newline, and flushes.</summary>
    public void WriteLine(ReadOnlySpan<byte> line)
    {
        lock (gate)
        {
            if (stream.Length > 0 && stream.Length + line.Length + 1 > MaxBytes)
            {
                Rotate();
            }

            stream.Write(line);
            stream.WriteByte((byte)'\n');
            stream.Flush();
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            stream.Dispose();
        }
    }

    private void Rotate()
    {
        stream.Dispose();
        File.Delete($"{Path}.{Keep - 1}");
        for (var i = Keep - 2; i >= 1; i--)
        {
            if (File.Exists($"{Path}.{i}"))
            {
                File.Move($"{Path}.{i}", $"{Path}.{i + 1}");
            }
        }

        if (Keep > 1)
        {
            File.Move(Path, $"{Path}.1");
        }
        else
        {
            File.Delete(Path);
        }

        stream = Open(Path);
    }

    private static FileStream Open(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        return new FileStream(path, options);
    }
}
