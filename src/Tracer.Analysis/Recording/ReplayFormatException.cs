using System.Globalization;

namespace Tracer.Analysis.Recording;

/// <summary>
/// A recording or JSON Lines file that cannot be read further. Thrown only after
/// every valid sample before the bad spot has been handed out. The message names
/// the byte offset (binary) or the line and field (JSON Lines).
/// </summary>
public sealed class ReplayFormatException : Exception
{
    private ReplayFormatException(string message, string? sourceName, long? byteOffset, long? lineNumber, string? field, Exception? inner)
        : base(message, inner)
    {
        SourceName = sourceName;
        ByteOffset = byteOffset;
        LineNumber = lineNumber;
        Field = field;
    }

    /// <summary>The file name or other label of the input, when known.</summary>
    public string? SourceName { get; }

    /// <summary>Offset from the start of the input of the bad record (binary recordings).</summary>
    public long? ByteOffset { get; }

    /// <summary>1-based line number of the bad line (JSON Lines).</summary>
    public long? LineNumber { get; }

    /// <summary>The JSON field at fault, when one is.</summary>
    public string? Field { get; }

    internal static ReplayFormatException AtOffset(string? sourceName, long byteOffset, string detail) =>
        new(Prefix(sourceName) + string.Create(CultureInfo.InvariantCulture, $"byte offset {byteOffset}: {detail}"), sourceName, byteOffset, null, null, null);

    internal static ReplayFormatException AtLine(string? sourceName, long lineNumber, string? field, string detail, Exception? inner = null)
    {
        var where = field is null
            ? string.Create(CultureInfo.InvariantCulture, $"line {lineNumber}")
            : string.Create(CultureInfo.InvariantCulture, $"line {lineNumber}, field '{field}'");
        return new(Prefix(sourceName) + where + ": " + detail, sourceName, null, lineNumber, field, inner);
    }

    private static string Prefix(string? sourceName) => sourceName is null ? "" : sourceName + ": ";
}
