using System.Globalization;

namespace Tracer.Analysis.Slab;

/// <summary>Kernel text symbols from /proc/kallsyms, for turning stack addresses into function names.</summary>
public sealed class KernelSymbols
{
    private readonly ulong[] addresses;
    private readonly string[] names;

    private KernelSymbols(ulong[] addresses, string[] names)
    {
        this.addresses = addresses;
        this.names = names;
    }

    public int Count => addresses.Length;

    /// <summary>Parses kallsyms text; only text symbols (t/T) with a non-zero address are kept.</summary>
    public static KernelSymbols Parse(TextReader kallsyms)
    {
        var entries = new List<(ulong Address, string Name)>();
        while (kallsyms.ReadLine() is { } line)
        {
            var fields = line.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 3 || fields[1] is not ("t" or "T")
                || !ulong.TryParse(fields[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var address) || address == 0)
            {
                continue;
            }

            var name = fields[2];
            var tab = name.IndexOf('\t', StringComparison.Ordinal);
            entries.Add((address, tab < 0 ? name : name[..tab]));
        }

        entries.Sort((a, b) => a.Address.CompareTo(b.Address));
        return new KernelSymbols(entries.Select(e => e.Address).ToArray(), entries.Select(e => e.Name).ToArray());
    }

    /// <summary>The function containing <paramref name="address"/>, or the address in hex when none does.</summary>
    public string Resolve(ulong address)
    {
        var i = Array.BinarySearch(addresses, address);
        if (i < 0)
        {
            i = ~i - 1;
        }

        return i >= 0 ? names[i] : string.Create(CultureInfo.InvariantCulture, $"0x{address:x}");
    }
}
