using System.Globalization;
using System.Text;

namespace Tracer.Analysis.Slab;

/// <summary>
/// Kernel text symbols from /proc/kallsyms, for turning stack addresses into function names.
/// Names are kept as one block of UTF-8 (a kernel has ~100,000 text symbols): a few MB, not a string each.
/// </summary>
public sealed class KernelSymbols
{
    private readonly ulong[] addresses;
    private readonly int[] nameStarts; // nameStarts[i]..nameStarts[i + 1] is the name of addresses[i]
    private readonly byte[] names;

    private KernelSymbols(ulong[] addresses, int[] nameStarts, byte[] names)
    {
        this.addresses = addresses;
        this.nameStarts = nameStarts;
        this.names = names;
    }

    public int Count => addresses.Length;

    /// <summary>Parses kallsyms text; only text symbols (t/T) with a non-zero address are kept.</summary>
    public static KernelSymbols Parse(TextReader kallsyms)
    {
        ArgumentNullException.ThrowIfNull(kallsyms);
        var found = new List<(ulong Address, int Start, int Length)>();
        var block = new MemoryStream();
        Span<byte> utf8 = stackalloc byte[512];
        while (kallsyms.ReadLine() is { } text)
        {
            // "ffffffff81000000 T _stext" or "ffffffffc0a01000 t fn\t[module]"
            var line = text.AsSpan();
            var space = line.IndexOf(' ');
            if (space <= 0 || line.Length < space + 4 || line[space + 2] != ' ' || line[space + 1] is not ('t' or 'T')
                || !ulong.TryParse(line[..space], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var address) || address == 0)
            {
                continue;
            }

            var name = line[(space + 3)..];
            var tab = name.IndexOf('\t');
            name = tab < 0 ? name : name[..tab];
            if (name.IsEmpty || !Encoding.UTF8.TryGetBytes(name, utf8, out var length))
            {
                continue;
            }

            found.Add((address, (int)block.Length, length));
            block.Write(utf8[..length]);
        }

        found.Sort((a, b) => a.Address.CompareTo(b.Address));
        var bytes = block.GetBuffer();
        var names = new byte[block.Length];
        var addresses = new ulong[found.Count];
        var starts = new int[found.Count + 1];
        var at = 0;
        for (var i = 0; i < found.Count; i++)
        {
            addresses[i] = found[i].Address;
            starts[i] = at;
            bytes.AsSpan(found[i].Start, found[i].Length).CopyTo(names.AsSpan(at));
            at += found[i].Length;
        }

        starts[found.Count] = at;
        return new KernelSymbols(addresses, starts, names);
    }

    /// <summary>The function containing <paramref name="address"/>, or the address in hex when none does.</summary>
    public string Resolve(ulong address)
    {
        var i = Array.BinarySearch(addresses, address);
        if (i < 0)
        {
            i = ~i - 1;
        }

        return i >= 0
            ? Encoding.UTF8.GetString(names, nameStarts[i], nameStarts[i + 1] - nameStarts[i])
            : string.Create(CultureInfo.InvariantCulture, $"0x{address:x}");
    }
}
