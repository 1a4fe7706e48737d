using System.CommandLine;
using System.CommandLine.Help;

namespace Tracer.Integration.Tests;

/// <summary>
/// Every option of every command, read from the command tree itself, given empty, malformed and
/// out-of-range values: one sentence naming the option and the problem on stderr, exit 2, no stack
/// trace, and nothing loaded or written. An option added without bad values here fails the suite.
/// </summary>
public sealed class BadInputTests
{
    private const string FlagProblem = "a flag takes no value";
    private const string NotSeconds = "not a number of seconds";
    private const string NotWhole = "not a whole number";

    /// <summary>Per option (or argument) name: a bad value and what the sentence must say about it.</summary>
    private static readonly Dictionary<string, (string Value, string Problem)[]> Cases = new()
    {
        ["--verbose"] = [("true", FlagProblem), ("", FlagProblem), ("2", FlagProblem)],
        ["--json"] = [("maybe", FlagProblem), ("", FlagProblem), ("1", FlagProblem)],
        ["--every-segment"] = [("maybe", FlagProblem), ("", FlagProblem)],
        ["--freeze-wl1"] = [("maybe", FlagProblem), ("", FlagProblem)],
        ["--no-slab"] = [("maybe", FlagProblem), ("", FlagProblem)],
        ["--no-resets"] = [("maybe", FlagProblem), ("", FlagProblem)],
        ["--btf"] = [("", "the file name is empty"), ("/no/such/vmlinux", "no such file"), ("/tmp", "a directory, not a BTF file"), ("/etc/hostname", "not a BTF file")],
        ["--attach"] = [("", "unknown attach method; use fentry, kprobe, tp_btf, raw_tp, tracepoint"), ("uprobe", "unknown attach method"), ("tp-btf", "unknown attach method")],
        ["--transport"] = [("", "unknown transport; use auto, ringbuf or perfbuf"), ("ringbuffer", "unknown transport"), ("perf", "unknown transport")],
        ["--pid"] =
        [
            ("", NotWhole), ("abc", NotWhole), ("1.5", NotWhole), ("0", "give the id of a running process"), ("-1", "give the id of a running process"),
            ("99999999999", "give the id of a running process"), ("2147483647", "no such process"),
        ],
        ["--comm"] = [("", "the command name is empty")],
        ["--port"] = [("", NotWhole), ("http", NotWhole), ("0", "a port is 1 to 65535"), ("65536", "a port is 1 to 65535"), ("-1", "a port is 1 to 65535"), ("99999999999", "a port is 1 to 65535")],
        ["--cgroup"] = [("", "give a cgroup v2 path or id"), ("no/such/group", "no cgroup v2"), ("/etc", "no cgroup v2"), ("18446744073709551615", "no cgroup v2")],
        ["--family"] = [("", "use inet or inet6"), ("ipx", "use inet or inet6"), ("INET", "use inet or inet6")],
        ["--slab-attribution"] = [("", "use on-growth or always"), ("never", "use on-growth or always"), ("Always", "use on-growth or always")],
        ["--duration"] =
        [
            ("", NotSeconds), ("abc", NotSeconds), ("5s", NotSeconds), ("-5s", NotSeconds), ("NaN", NotSeconds),
            ("0", "give a positive number of seconds"), ("-5", "give a positive number of seconds"), ("1e309", "too large"), ("1e12", "too large"),
        ],
        ["--min-zero-window"] = [("", NotWhole), ("abc", NotWhole), ("1.5", NotWhole), ("-1", "give 0 or more milliseconds"), ("99999999999", "give 0 or more milliseconds")],
        ["--timeout"] = [("", NotSeconds), ("abc", NotSeconds), ("NaN", NotSeconds), ("-1", "give a number of seconds, 0 or more"), ("1e309", "too large")],
        ["--interval"] = [("", NotSeconds), ("abc", NotSeconds), ("0", "give at least 0.1 seconds"), ("0.05", "give at least 0.1 seconds"), ("-1", "give at least 0.1 seconds"), ("1e309", "too large")],
        ["--top"] = [("", NotWhole), ("abc", NotWhole), ("0", "give a positive number of caches"), ("-3", "give a positive number of caches"), ("99999999999", "give a positive number of caches")],
        ["--sample-budget"] = [("", NotWhole), ("lots", NotWhole), ("1.5", NotWhole), ("-1", "give 0 (never step down)"), ("10000001", "give 0 (never step down)")],
        ["--sample"] = [("", NotWhole), ("abc", NotWhole), ("0", "give a positive N"), ("-1", "give a positive N"), ("99999999999", "give a positive N")],
        ["--output"] =
        [
            ("", "the file name is empty"), ("/tmp", "a directory"), ("/no/such/dir/trace.rec", "no such directory /no/such/dir"),
            ("/proc/tracer-bad-input.rec", "cannot write it"),
        ],
        ["--otlp-endpoint"] =
        [
            ("", "not an OTLP endpoint URL"), ("collector:4317", "not an OTLP endpoint URL"), ("ftp://collector", "not an OTLP endpoint URL"),
            ("http://", "not an OTLP endpoint URL"), ("http//nowhere", "not an OTLP endpoint URL"),
        ],
        ["--prometheus"] =
        [
            ("", "give the IPv4 address and port to serve /metrics on, ADDR:PORT"), ("9464", "give the IPv4 address and port"),
            ("127.0.0.1:99999", "give the IPv4 address and port"), ("::1:9464", "give the IPv4 address and port"), ("host:abc", "give the IPv4 address and port"),
        ],
        ["--otlp-protocol"] = [("", "unknown OTLP protocol; use grpc or http/protobuf"), ("http/json", "unknown OTLP protocol"), ("GRPC", "unknown OTLP protocol")],
        ["--data-dir"] =
        [
            ("", "the directory name is empty"), ("/etc/hostname", "a file, not a directory"), ("/proc/tracer-data", "cannot write telemetry files there"),
            ("/dev/null/tracer", "cannot write telemetry files there"),
        ],
        ["--records"] = [("", "the directory name is empty"), ("/etc/hostname", "a file, not a directory"), ("/no/such/tracer-data", "no such directory")],
        ["FILE"] = [("", "the file name is empty"), ("/no/such/recording.trec", "no such file"), ("/tmp", "a directory, not a recording")],
        ["INPUT"] = [("", "the file name is empty"), ("/no/such/recording.trec", "no such file or directory"), ("/etc", "a directory without tracer run's telemetry files")],
    };

    /// <summary>Variables the tool reads, with a bad value, a command that reads it, and what the sentence must say.</summary>
    public static TheoryData<string, string, string, string> BadVariables => new()
    {
        { "TRACER_ATTACH", "uprobe", "doctor", "unknown attach method; use fentry, kprobe, tp_btf, raw_tp, tracepoint" },
        { "TRACER_ATTACH", "tp-btf", "tcp", "unknown attach method" },
        { "TRACER_TRANSPORT", "ringbuffer", "doctor", "unknown transport; use auto, ringbuf or perfbuf" },
        { "TRACER_TRANSPORT", "perf", "slab", "unknown transport" },
        { "OTEL_EXPORTER_OTLP_ENDPOINT", "not a url", "run", "not an OTLP endpoint URL" },
        { "OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317", "run", "not an OTLP endpoint URL" },
        { "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://collector", "run", "not an OTLP endpoint URL" },
        { "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://", "run", "not an OTLP endpoint URL" },
        { "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "collector", "run", "not an OTLP endpoint URL" },
        { "OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "run", "unknown OTLP protocol" },
        { "OTEL_EXPORTER_OTLP_TIMEOUT", "abc", "run", "give the export timeout in milliseconds" },
        { "OTEL_EXPORTER_OTLP_TIMEOUT", "-5", "run", "give the export timeout in milliseconds" },
        { "OTEL_EXPORTER_OTLP_TIMEOUT", "0", "run", "give the export timeout in milliseconds" },
        { "OTEL_EXPORTER_OTLP_TIMEOUT", "99999999999", "run", "give the export timeout in milliseconds" },
        { "OTEL_EXPORTER_OTLP_CERTIFICATE", "/no/such/ca.pem", "run", "no such file" },
        { "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/no/such/client.pem", "run", "no such file" },
        { "OTEL_EXPORTER_OTLP_CLIENT_KEY", "/no/such/client.key", "run", "no such file" },
        { "OTEL_METRIC_EXPORT_INTERVAL", "soon", "run", "give the metric export interval in milliseconds" },
        { "OTEL_METRIC_EXPORT_INTERVAL", "50", "run", "give the metric export interval in milliseconds" },
    };

    /// <summary>Header values are credentials: a malformed list is described by position, never echoed.</summary>
    public static TheoryData<string, string> BadHeaders => new()
    {
        { "authorization Bearer s3cr3t-token", "entry 1 of 1 is not key=value" },
        { "x-tenant=a,authorization:s3cr3t-token", "entry 2 of 2 is not key=value" },
        { "=s3cr3t-token", "entry 1 of 1 is not key=value" },
        { "x-tenant=a,,y=s3cr3t-token", "entry 2 of 3 is not key=value" },
    };

    /// <summary>Every (command, option or argument) of the tree; the root's recursive options count for every command.</summary>
    public static TheoryData<string, string> CommandOptions
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var (command, symbol) in Symbols())
            {
                data.Add(command.Name, symbol.Name);
            }

            return data;
        }
    }

    public static TheoryData<string, string, string, string> BadValues
    {
        get
        {
            var data = new TheoryData<string, string, string, string>();
            foreach (var (command, symbol) in Symbols())
            {
                foreach (var (value, problem) in Cases.GetValueOrDefault(symbol.Name, []))
                {
                    data.Add(command.Name, symbol.Name, value, problem);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(CommandOptions))]
    public void EveryOptionHasBadValues(string command, string option)
    {
        Assert.True(Cases.TryGetValue(option, out var cases) && cases.Length > 0, $"tracer {command} {option} has no bad values in {nameof(BadInputTests)}.{nameof(Cases)}");
        if (option != "--comm")
        {
            Assert.Contains(cases, c => c.Value.Length == 0);
        }
    }

    [Fact]
    public void EveryCaseBelongsToAnOption()
    {
        var names = Symbols().Select(s => s.Symbol.Name).ToHashSet();
        Assert.All(Cases.Keys, name => Assert.Contains(name, names));
    }

    [Theory]
    [MemberData(nameof(BadValues))]
    public void ABadValueIsOneSentenceAndExitTwo(string command, string option, string value, string problem)
    {
        var unwritten = Path.Combine(Path.GetTempPath(), $"tracer-bad-input-{Environment.ProcessId}-{Guid.NewGuid():N}.rec");
        var symbol = Symbols().Single(s => s.Command.Name == command && s.Symbol.Name == option).Symbol;
        // -vv: had anything reached the loader, its decisions and libbpf's messages would be on stderr
        var args = new List<string> { command, "-vv" };
        args.AddRange(symbol switch
        {
            Option { ValueType: var type } when type == typeof(bool) => [$"{option}={value}"],
            Option => [option, value],
            _ => [value],
        });
        if (command is "record" or "report" && option != "--output")
        {
            args.AddRange(["--output", unwritten]);
        }

        // report's other required value: an input that exists
        if (command == "report" && option != "INPUT")
        {
            args.Add("/etc/hostname");
        }

        var result = TracerProcess.Run(TimeSpan.FromSeconds(30), null, args.ToArray());
        var shown = value.Length == 0 ? "\"\"" : value;
        var subject = symbol is Argument ? shown : $"{option} {shown}";
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Empty(result.Stdout);
        Assert.StartsWith($"tracer: {subject}: ", result.Stderr);
        Assert.Contains(problem, result.Stderr);
        Assert.EndsWith("\n", result.Stderr);
        Assert.Equal(1, result.Stderr.Count(c => c == '\n'));
        Assert.False(File.Exists(unwritten));
    }

    [Theory]
    [MemberData(nameof(BadVariables))]
    public void ABadVariableIsOneSentenceAndExitTwo(string variable, string value, string command, string problem)
    {
        var result = Run(variable, value, command);
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Empty(result.Stdout);
        Assert.StartsWith($"tracer: {variable} ", result.Stderr);
        Assert.Contains(problem, result.Stderr);
        Assert.Equal(1, result.Stderr.Count(c => c == '\n'));
    }

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void MalformedHeadersAreOneSentenceThatKeepsTheSecret(string headers, string problem)
    {
        var result = Run("OTEL_EXPORTER_OTLP_HEADERS", headers, "run");
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Equal($"tracer: OTEL_EXPORTER_OTLP_HEADERS: {problem}; give comma-separated key=value pairs\n", result.Stderr);
        Assert.DoesNotContain("s3cr3t", result.Stderr + result.Stdout);
    }

    /// <summary>Runs <paramref name="command"/> with one variable set and a data directory of its own, which a refused variable leaves uncreated.</summary>
    private static TracerResult Run(string variable, string value, string command)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), $"tracer-bad-input-{Environment.ProcessId}-{Guid.NewGuid():N}");
        string[] args = command == "run" ? [command, "-vv", "--data-dir", dataDir] : [command, "-vv"];
        var result = TracerProcess.Run(TimeSpan.FromSeconds(30), null, new Dictionary<string, string> { [variable] = value }, args);
        Assert.False(Directory.Exists(dataDir));
        return result;
    }

    private static IEnumerable<(Command Command, Symbol Symbol)> Symbols()
    {
        var root = Tracer.Cli.Cli.CreateRoot();
        var recursive = root.Options.Where(o => o.Recursive && o is not HelpOption and not VersionOption).ToList();
        foreach (var command in root.Subcommands)
        {
            foreach (var option in command.Options.Where(o => o is not HelpOption and not VersionOption).Concat(recursive))
            {
                yield return (command, option);
            }

            foreach (var argument in command.Arguments)
            {
                yield return (command, argument);
            }
        }
    }
}
