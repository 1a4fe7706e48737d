using System.Text.RegularExpressions;

namespace Tracer.BindGen;

/// <summary>Generates the libbpf P/Invoke declarations (LibBpf.g.cs) from libbpf's headers.</summary>
public static partial class BindingGenerator
{
    public const string DefaultHeaderDir = "/usr/include/bpf";

    /// <summary>
    /// Returns the C# source for the API list <paramref name="api"/>: function names, plus
    /// "struct name", "union name" or "enum name" for types wanted even if no function reaches them.
    /// Throws <see cref="BindingGenerationException"/> naming anything the headers do not declare.
    /// </summary>
    public static string Generate(string headerDir, IReadOnlyList<string> api)
    {
        var entries = api.Select(ApiEntry.Parse).ToList();
        var version = LibbpfVersion(headerDir);
        using var headers = HeaderIndex.Parse(headerDir);
        var model = new DeclarationWalker(headers).Walk(entries, version, headers.HeaderDir);
        return CSharpEmitter.Emit(model);
    }

    /// <summary>Reads an API list file: one entry per line; blank lines and '#' comments are ignored.</summary>
    public static IReadOnlyList<string> ReadApiList(string path) =>
        File.ReadAllLines(path)
            .Select(line => line.Split('#', 2)[0].Trim())
            .Where(line => line.Length > 0)
            .ToList();

    /// <summary>sizeof of structs and unions ("struct btf_type") as clang lays them out for these headers.</summary>
    public static IReadOnlyDictionary<string, long> SizesOf(string headerDir, IEnumerable<string> tags)
    {
        using var headers = HeaderIndex.Parse(headerDir);
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            if (!headers.Tags.TryGetValue(tag, out var declaration))
            {
                throw new BindingGenerationException($"'{tag}' is not declared in {headerDir}");
            }
            sizes[tag] = LibClang.clang_Type_getSizeOf(LibClang.clang_getCursorType(declaration));
        }
        return sizes;
    }

    /// <summary>
    /// libbpf_version.h only has the major and minor version; the patch level is taken from the
    /// libbpf.pc installed with the same headers when there is one and it agrees on major.minor.
    /// </summary>
    internal static string LibbpfVersion(string headerDir)
    {
        var versionHeader = Path.Combine(headerDir, "libbpf_version.h");
        if (!File.Exists(versionHeader))
        {
            throw new BindingGenerationException($"{versionHeader} does not exist");
        }
        var text = File.ReadAllText(versionHeader);
        var major = MajorVersion().Match(text);
        var minor = MinorVersion().Match(text);
        if (!major.Success || !minor.Success)
        {
            throw new BindingGenerationException($"{versionHeader} does not define LIBBPF_MAJOR_VERSION and LIBBPF_MINOR_VERSION");
        }
        var version = $"{major.Groups[1].Value}.{minor.Groups[1].Value}";

        var prefix = Directory.GetParent(Path.TrimEndingDirectorySeparator(Path.GetFullPath(headerDir)))?.Parent?.FullName;
        if (prefix is null)
        {
            return version;
        }
        string[] pkgConfigDirs = ["lib/x86_64-linux-gnu/pkgconfig", "lib64/pkgconfig", "lib/pkgconfig", "share/pkgconfig"];
        foreach (var pc in pkgConfigDirs.Select(dir => Path.Combine(prefix, dir, "libbpf.pc")).Where(File.Exists))
        {
            var pcVersion = PkgConfigVersion().Match(File.ReadAllText(pc));
            if (pcVersion.Success && pcVersion.Groups[1].Value.StartsWith(version + ".", StringComparison.Ordinal))
            {
                return pcVersion.Groups[1].Value;
            }
        }
        return version;
    }

    [GeneratedRegex(@"^#define\s+LIBBPF_MAJOR_VERSION\s+(\d+)", RegexOptions.Multiline)]
    private static partial Regex MajorVersion();

    [GeneratedRegex(@"^#define\s+LIBBPF_MINOR_VERSION\s+(\d+)", RegexOptions.Multiline)]
    private static partial Regex MinorVersion();

    [GeneratedRegex(@"^Version:\s*(\d+\.\d+\.\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex PkgConfigVersion();
}

public sealed class BindingGenerationException(string message) : Exception(message);

internal enum ApiKind
{
    Function,
    Struct,
    Union,
    Enum,
}

/// <summary>One line of the API list: "name" (a function), or "struct name", "union name", "enum name".</summary>
internal sealed partial record ApiEntry(ApiKind Kind, string Name)
{
    internal static ApiEntry Parse(string line)
    {
        var match = Syntax().Match(line);
        if (!match.Success)
        {
            throw new BindingGenerationException($"API list entry '{line}' is not 'function_name' or 'struct|union|enum name'");
        }
        var kind = match.Groups[1].Value switch
        {
            "" => ApiKind.Function,
            "struct" => ApiKind.Struct,
            "union" => ApiKind.Union,
            _ => ApiKind.Enum,
        };
        return new ApiEntry(kind, match.Groups[2].Value);
    }

    public override string ToString() => Kind switch
    {
        ApiKind.Function => Name,
        ApiKind.Struct => "struct " + Name,
        ApiKind.Union => "union " + Name,
        _ => "enum " + Name,
    };

    [GeneratedRegex(@"^(?:(struct|union|enum)\s+)?([A-Za-z_][A-Za-z0-9_]*)$")]
    private static partial Regex Syntax();
}
