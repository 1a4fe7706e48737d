using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net.Sockets;
using Tracer.Bpf;
using Tracer.Bpf.Attach;
using Tracer.Pipeline.Sources;
using Tracer.Report;
using Tracer.Telemetry;

namespace Tracer.Cli;

/// <summary>Reads one value; returns null when it is good, else what is wrong with it.</summary>
public delegate string? ValueReader<T>(string text, out T value);

/// <summary>
/// Option values checked while the command line is parsed: a bad value becomes one sentence,
/// "--option value: the problem", before any command runs or touches the kernel.
/// </summary>
public static class OptionValues
{
    /// <summary>About 31 years: the longest duration, timeout or interval; stop deadlines are 64-bit nanosecond counts.</summary>
    public const double MaxSeconds = 1e9;

    public static Option<T> Reading<T>(this Option<T> option, ValueReader<T> reader)
    {
        option.CustomParser = result => Read(result, result.Parent is OptionResult o ? $"{o.Option.Name} " : "", reader);
        return option;
    }

    /// <summary>An argument's value is itself the subject of the sentence: "/no/such: no such file".</summary>
    public static Argument<T> Reading<T>(this Argument<T> argument, ValueReader<T> reader)
    {
        argument.CustomParser = result => Read(result, "", reader);
        return argument;
    }

    /// <summary>Every value of a multi-valued argument checked alike; the first bad one is the sentence.</summary>
    public static Argument<string[]> ReadingEach(this Argument<string[]> argument, ValueReader<string> reader)
    {
        argument.CustomParser = result =>
        {
            var values = new List<string>();
            foreach (var token in result.Tokens)
            {
                if (reader(token.Value, out var value) is { } problem)
                {
                    result.AddError($"{(token.Value.Length == 0 ? "\"\"" : token.Value)}: {problem}");
                    return [];
                }

                values.Add(value);
            }

            return values.ToArray();
        };
        return argument;
    }

    /// <summary>A value was given and refused (as opposed to a missing value or an unknown word, which call for the usage).</summary>
    public static bool IsRefusedValue(ParseError error) => error.SymbolResult is ArgumentResult { Tokens.Count: > 0 } or OptionResult { Tokens.Count: > 0 };

    /// <summary>
    /// "--json=yes": the parser would leave "yes" over as an unknown word; this names the flag instead.
    /// Flags that take true or false accept those.
    /// </summary>
    public static IEnumerable<string> FlagsGivenValues(Command root, IEnumerable<string> args)
    {
        var flags = Options(root).Where(o => o.ValueType == typeof(bool)).ToList();
        foreach (var arg in args.TakeWhile(a => a != "--"))
        {
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var flag = equals > 0 && arg.StartsWith('-') ? flags.FirstOrDefault(f => f.Name == arg[..equals] || f.Aliases.Contains(arg[..equals])) : null;
            var value = arg[(equals + 1)..];
            if (flag is not null && (flag.Arity.MaximumNumberOfValues == 0 || !bool.TryParse(value, out _)))
            {
                yield return $"{arg[..equals]} {(value.Length == 0 ? "\"\"" : value)}: a flag takes no value";
            }
        }
    }

    private static IEnumerable<Option> Options(Command command) => command.Options.Concat(command.Subcommands.SelectMany(Options));

    public static ValueReader<int?> WholeNumber(long min, long max, string expectation) => (string text, out int? value) =>
    {
        value = null;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            return $"not a whole number; {expectation}";
        }

        if (n < min || n > max)
        {
            return expectation;
        }

        value = (int)n;
        return null;
    };

    /// <summary>Seconds as a decimal number (0.5, 30, 1e3) within [<paramref name="min"/>, <see cref="MaxSeconds"/>], <paramref name="min"/> itself allowed or not.</summary>
    public static ValueReader<double?> Seconds(double min, bool minAllowed, string expectation) => (string text, out double? value) =>
    {
        value = null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) || double.IsNaN(s))
        {
            return $"not a number of seconds; {expectation}";
        }

        if (!double.IsFinite(s) || s > MaxSeconds)
        {
            return $"too large; {expectation}, at most {MaxSeconds:0} seconds";
        }

        if (s < min || (s == min && !minAllowed))
        {
            return expectation;
        }

        value = s;
        return null;
    };

    public static string? RunningProcess(string text, out int? pid)
    {
        var problem = WholeNumber(1, int.MaxValue, "give the id of a running process")(text, out pid);
        if (problem is null && !Directory.Exists($"/proc/{pid}"))
        {
            pid = null;
            return "no such process";
        }

        return problem;
    }

    public static string? CommandName(string text, out string? name)
    {
        name = text.Length == 0 ? null : text;
        return name is null ? "the command name is empty" : null;
    }

    public static string? Family(string text, out AddressFamily? family)
    {
        family = text switch
        {
            "inet" or "ipv4" or "4" => AddressFamily.InterNetwork,
            "inet6" or "ipv6" or "6" => AddressFamily.InterNetworkV6,
            _ => null,
        };
        return family is null ? "use inet or inet6" : null;
    }

    /// <summary><c>--slab-attribution</c>: per-object slab hooks only while a cache grows, or always.</summary>
    public static string? SlabAttribution(string text, out SlabAttribution? when)
    {
        when = text switch
        {
            "on-growth" => Pipeline.Sources.SlabAttribution.OnGrowth,
            "always" => Pipeline.Sources.SlabAttribution.Always,
            _ => null,
        };
        return when is null ? "use on-growth or always" : null;
    }

    public static string? AttachMethodName(string text, out AttachMethod? method)
    {
        method = AttachMethodNames.TryParse(text, out var m) ? m : null;
        return method is null ? BpfSettings.UnknownMethod : null;
    }

    public static string? TransportName(string text, out Bpf.Transport? transport)
    {
        transport = BpfSettings.TryParseTransport(text, out var t) ? t : null;
        return transport is null ? BpfSettings.UnknownTransport : null;
    }

    public static string? OtlpEndpoint(string text, out string? endpoint)
    {
        endpoint = text;
        return TelemetrySettings.EndpointProblem(text);
    }

    public static string? PrometheusAddress(string text, out string? address)
    {
        address = text;
        return TelemetrySettings.PrometheusProblem(text);
    }

    public static string? OtlpProtocol(string text, out string? protocol)
    {
        protocol = text;
        return TelemetrySettings.TryParseProtocol(text, out _) ? null : TelemetrySettings.UnknownProtocol;
    }

    /// <summary>A cgroup v2 directory (absolute, or relative to the hierarchy's root) or the id of one that exists: its id.</summary>
    public static string? Cgroup(string text, out ulong? id) => Cgroup2.Resolve(text, out id);

    /// <summary>Raw BTF (magic 0xeB9F) or an ELF file with a .BTF section, as libbpf's btf_custom_path takes.</summary>
    public static string? BtfFile(string text, out FileInfo? file)
    {
        file = null;
        if (ExistingFileProblem(text, "a BTF file") is { } problem)
        {
            return problem;
        }

        Span<byte> magic = stackalloc byte[4];
        try
        {
            using var stream = File.OpenRead(text);
            if (stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) < magic.Length
                || !(magic[..2].SequenceEqual<byte>([0x9f, 0xeb]) || magic.SequenceEqual<byte>([0x7f, (byte)'E', (byte)'L', (byte)'F'])))
            {
                return "not a BTF file (neither raw BTF nor ELF)";
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot read it ({e.Message.TrimEnd('.')})";
        }

        file = new FileInfo(text);
        return null;
    }

    public static string? ReplayFile(string text, out FileInfo? file)
    {
        file = null;
        if (ExistingFileProblem(text, "a recording or JSON Lines file") is { } problem)
        {
            return problem;
        }

        file = new FileInfo(text);
        return null;
    }

    /// <summary>A file of samples or findings, an OTLP JSON file, or <c>tracer run</c>'s data directory.</summary>
    public static string? ReportInput(string text, out string path)
    {
        path = text;
        if (text.Length == 0)
        {
            return "the file name is empty";
        }

        if (Directory.Exists(text))
        {
            return ReportInputs.RunDirectoryFiles(text).Count == 0
                ? $"a directory without tracer run's telemetry files ({string.Join(", ", ReportInputs.RunFiles)})"
                : null;
        }

        return File.Exists(text) ? null : "no such file or directory";
    }

    /// <summary>A file to create or replace, in a directory that exists, that can be written.</summary>
    public static string? NewFile(string text, out FileInfo? file)
    {
        file = null;
        if (text.Length == 0)
        {
            return "the file name is empty";
        }

        if (Directory.Exists(text))
        {
            return "a directory; give the path of a file";
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(text));
        if (directory is not null && !Directory.Exists(directory))
        {
            return $"no such directory {directory}";
        }

        try
        {
            // an existing file is opened without truncating it: nothing is lost if another value is bad
            using (File.Exists(text)
                ? new FileStream(text, FileMode.Open, FileAccess.Write)
                : new FileStream(text, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot write it ({e.Message.TrimEnd('.')})";
        }

        file = new FileInfo(text);
        return null;
    }

    public static string? DirectoryPath(string text, out string? directory)
    {
        directory = null;
        if (text.Length == 0)
        {
            return "the directory name is empty";
        }

        if (File.Exists(text))
        {
            return "a file, not a directory";
        }

        directory = text;
        return null;
    }

    /// <summary>A directory that exists (one to read from).</summary>
    public static string? ExistingDirectory(string text, out string? directory)
    {
        var problem = DirectoryPath(text, out directory);
        if (problem is null && !Directory.Exists(text))
        {
            directory = null;
            problem = "no such directory";
        }

        return problem;
    }

    private static T? Read<T>(ArgumentResult result, string prefix, ValueReader<T> reader)
    {
        if (result.Tokens.Count == 0)
        {
            return default;
        }

        var text = result.Tokens[^1].Value;
        var problem = reader(text, out var value);
        if (problem is null)
        {
            return value;
        }

        result.AddError($"{prefix}{(text.Length == 0 ? "\"\"" : text)}: {problem}");
        return default;
    }

    private static string? ExistingFileProblem(string text, string what) =>
        text.Length == 0 ? "the file name is empty"
        : Directory.Exists(text) ? $"a directory, not {what}"
        : !File.Exists(text) ? "no such file"
        : null;
}
