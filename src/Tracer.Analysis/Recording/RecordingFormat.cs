namespace Tracer.Analysis.Recording;

/// <summary>
/// Layout of the binary recording (all integers little-endian, addresses in
/// network order). The full description is in docs/replay-format.md.
/// </summary>
public static class RecordingFormat
{
    /// <summary>The format version this code writes and the newest it reads.</summary>
    public const int Version = 1;

    internal const int MaxKernelReleaseBytes = 1024;
    internal const int MaxDescriptionBytes = 4096;
    internal const int MaxCommBytes = 255;

    internal const int HeaderFixedBytes = 30;
    internal const int RecordHeaderBytes = 8;
    internal const byte SampleRecordType = 1;
    internal const byte FlagHasWl1MovedAt = 1;
    internal const int SampleBytes = 133;
    internal const int MaxSampleRecordBytes = SampleBytes + MaxCommBytes;

    internal const ushort AfInet = 2;
    internal const ushort AfInet6 = 10;
    internal const byte MaxWindowScale = 14;

    /// <summary>The first eight bytes of every recording: <c>89 54 52 43 0D 0A 1A 0A</c> ("\x89TRC\r\n\x1a\n").</summary>
    public static ReadOnlySpan<byte> Magic => [0x89, (byte)'T', (byte)'R', (byte)'C', 0x0D, 0x0A, 0x1A, 0x0A];
}
