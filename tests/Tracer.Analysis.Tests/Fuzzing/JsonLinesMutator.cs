using System.Text;
using System.Text.RegularExpressions;
using Tracer.Analysis.Recording;

namespace Tracer.Analysis.Tests.Fuzzing;

/// <summary>
/// Mutates JSON Lines sample files: values of the wrong type, huge numbers, deep nesting,
/// invalid UTF-8 and bad escapes, missing, duplicated and renamed fields, odd line ends and byte
/// order marks, very long lines, splices of lines, plus the format-blind mutations. Text is
/// handled as Latin-1 so every byte maps to one char and arbitrary bytes survive the edits.
/// </summary>
internal static partial class JsonLinesMutator
{
    private static readonly string[] Values =
    [
        "\"x\"", "\"\"", "-1", "-0", "1.5", "1e3", "1E400", "0.0", "01", "+1", "0x10", "NaN", "Infinity",
        "2", "10", "14", "15", "255", "256", "65535", "65536", "2147483647", "2147483648", "4294967295", "4294967296",
        "18446744073709551615", "18446744073709551616", "-9223372036854775809", new string('9', 5000),
        "null", "true", "false", "[]", "{}", "[1,[2]]", "{\"a\":{\"b\":[]}}",
        "\"\\ud800\"", "\"x\\udc00\"", "\"\\ud800\\u0041\"", "\"\\u0000\"", "\"\\u00\"", "\"\\q\"",
        Latin1([0x22, 0xC0, 0xAF, 0x22]), Latin1([0x22, 0xED, 0xA0, 0x80, 0x22]), Latin1([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22]),
        Latin1([0x22, 0xFF, 0x22]), Latin1([0x22, 0xE2, 0x82, 0x22]), Latin1([0x22, .. Encoding.UTF8.GetBytes(new string('é', 200)), 0x22]),
        "\"" + new string('a', 300) + "\"", "\"" + new string('1', 70) + "\"", "\"" + new string('\\', 2000) + "\"",
        "\"::ffff:1.2.3.4\"", "\"1.2.3.4%eth0\"", "\"fe80::1%2\"", "\"1.2.3\"", "\"::\"", "\"inet6\"", "\"\\u0069net\"",
        "[\"probes\",[]]", "[\"first\",\"\\ud800\"]", "[4294967296]", "[\"probes\",", "\"persist\"", "\"tcp.sample\"",
    ];

    private static readonly string[] Keys =
    [
        "ts_ns", "cookie", "pid", "comm", "family", "saddr", "sport", "daddr", "dport", "snd_una", "snd_nxt", "snd_wnd",
        "snd_wl1", "rcv_nxt", "bytes_received", "bytes_acked", "seg_seq", "seg_ack", "seg_win", "snd_wscale",
        "probes_out", "backoff", "pending", "unsent", "reason", "wl1_moved_at_bytes_received", "kind",
    ];

    private static readonly string[] Junk =
    [
        "\r", "\r\n", "\n", "\n\n", "\uFEFF", Latin1([0xEF, 0xBB, 0xBF]), "#", "# c\n", "\t", "\0", "}", "{", "]", "[", ",", ":", "\"",
        "//", "/*", Latin1([0xC3]), Latin1([0x80]), Latin1([0xF0, 0x9F]), "\\", "\\u", "{}\n", "[]\n",
    ];

    public static byte[] Mutate(Random random, IReadOnlyList<byte[]> seeds)
    {
        var text = Latin1(seeds[random.Next(seeds.Count)]);
        for (var rounds = random.Next(1, 5); rounds > 0; rounds--)
        {
            text = random.Next(14) switch
            {
                < 3 => ReplaceValue(random, text, Values[random.Next(Values.Length)]),
                3 => ReplaceValue(random, text, DeepNesting(random)),
                4 => RemoveField(random, text),
                5 => DuplicateField(random, text),
                6 => RenameField(random, text),
                7 => Insert(random, text, Junk[random.Next(Junk.Length)]),
                8 => SpliceLines(random, text, Latin1(seeds[random.Next(seeds.Count)])),
                9 when random.Next(50) == 0 => LongLine(random, text),
                _ => Latin1([.. ByteMutations.Any(random, [.. Encoding.Latin1.GetBytes(text)], seeds)]),
            };
        }

        return Encoding.Latin1.GetBytes(text);
    }

    private static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    private static string DeepNesting(Random random)
    {
        var depth = random.Next(4) switch
        {
            0 => random.Next(5, 12),
            1 => 64,
            2 => 1000,
            _ => 10_000,
        };
        return random.Next(2) == 0
            ? new string('[', depth) + new string(']', depth)
            : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
    }

    private static Match? RandomField(Random random, string text)
    {
        var fields = Field().Matches(text);
        return fields.Count == 0 ? null : fields[random.Next(fields.Count)];
    }

    private static string ReplaceValue(Random random, string text, string value) =>
        RandomField(random, text) is { } field ? Replace(text, field.Groups["value"], value) : text;

    private static string RemoveField(Random random, string text) =>
        RandomField(random, text) is { } field ? Replace(text, field, "") : text;

    private static string DuplicateField(Random random, string text)
    {
        if (RandomField(random, text) is not { } field)
        {
            return text;
        }

        var copy = random.Next(2) == 0 ? field.Value : $"\"{field.Groups["key"].Value}\": {Values[random.Next(Values.Length)]}, ";
        return text.Insert(field.Index, copy);
    }

    private static string RenameField(Random random, string text)
    {
        if (RandomField(random, text) is not { } field)
        {
            return text;
        }

        var key = field.Groups["key"].Value;
        var renamed = random.Next(6) switch
        {
            0 => Keys[random.Next(Keys.Length)],
            1 => key.ToUpperInvariant(),
            2 => "\\u00" + ((int)key[0]).ToString("x2", System.Globalization.CultureInfo.InvariantCulture) + key[1..],
            3 => key + new string('_', random.Next(1, 100)),
            4 => key + Latin1([0xC3]),
            _ => key + "\\ud800",
        };
        return Replace(text, field.Groups["key"], renamed);
    }

    private static string Insert(Random random, string text, string junk) => text.Insert(random.Next(text.Length + 1), junk);

    /// <summary>Lines of one file, then lines of another.</summary>
    private static string SpliceLines(Random random, string text, string other)
    {
        var head = text.Split('\n');
        var tail = other.Split('\n');
        return string.Join('\n', head.Take(random.Next(head.Length + 1)).Concat(tail.Skip(random.Next(tail.Length + 1))));
    }

    /// <summary>A line padded to just under, at, or just over the line limit.</summary>
    private static string LongLine(Random random, string text)
    {
        var length = JsonLinesSampleReader.MaxLineBytes + random.Next(-2, 3);
        var line = random.Next(2) == 0
            ? "{\"pad\": \"" + new string('x', length - 12) + "\"}"
            : new string(' ', length - 2) + "{}";
        return Insert(random, text, line[..Math.Max(0, Math.Min(line.Length, length))] + "\n");
    }

    private static string Replace(string text, Capture capture, string with) =>
        string.Concat(text.AsSpan(0, capture.Index), with, text.AsSpan(capture.Index + capture.Length));

    /// <summary>A "key": value pair with a simple value, its trailing comma and blanks included.</summary>
    [GeneratedRegex("\"(?<key>[a-z_0-9]+)\"\\s*:\\s*(?<value>\"(?:[^\"\\\\]|\\\\.)*\"|\\[[^\\]\\n]*\\]|[^,}\\]\\n]*)\\s*,?\\s*")]
    private static partial Regex Field();
}
