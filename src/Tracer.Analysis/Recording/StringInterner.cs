using System.Text;

namespace Tracer.Analysis.Recording;

/// <summary>Hands out one string instance per distinct process name so replay does not allocate a string per sample.</summary>
internal sealed class StringInterner
{
    private const int MaxStrings = 4096;
    private readonly HashSet<string> strings = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> lookup;

    public StringInterner() => lookup = strings.GetAlternateLookup<ReadOnlySpan<char>>();

    public string Intern(ReadOnlySpan<char> chars)
    {
        if (lookup.TryGetValue(chars, out var known))
        {
            return known;
        }

        if (strings.Count >= MaxStrings)
        {
            strings.Clear();
        }

        var created = chars.ToString();
        strings.Add(created);
        return created;
    }

    /// <summary>Interns UTF-8 of at most 255 bytes.</summary>
    public string Intern(ReadOnlySpan<byte> utf8)
    {
        Span<char> chars = stackalloc char[256];
        return Intern(chars[..Encoding.UTF8.GetChars(utf8, chars)]);
    }
}
