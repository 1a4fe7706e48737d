using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenTelemetry.Exporter;

namespace Tracer.Telemetry;

/// <summary>
/// Where telemetry goes: an OTLP endpoint, or, with none configured, OTLP JSON files in a data directory;
/// each signal can be turned off (<c>OTEL_{TRACES,METRICS,LOGS}_EXPORTER=none</c>); metrics can also be
/// scraped from a Prometheus endpoint.
/// </summary>
public sealed record TelemetrySettings
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string ProtocolVariable = "OTEL_EXPORTER_OTLP_PROTOCOL";
    public const string MetricIntervalVariable = "OTEL_METRIC_EXPORT_INTERVAL";
    public const string HeadersVariable = "OTEL_EXPORTER_OTLP_HEADERS";
    public const string TimeoutVariable = "OTEL_EXPORTER_OTLP_TIMEOUT";
    public const string TracesExporterVariable = "OTEL_TRACES_EXPORTER";
    public const string MetricsExporterVariable = "OTEL_METRICS_EXPORTER";
    public const string LogsExporterVariable = "OTEL_LOGS_EXPORTER";
    public const string PrometheusVariable = "TRACER_PROMETHEUS";

    /// <summary>The port OTLP/HTTP listens on by convention; an endpoint on it means http/protobuf unless a protocol is given.</summary>
    public const int OtlpHttpPort = 4318;
    public const string UnknownProtocol = "unknown OTLP protocol; use grpc or http/protobuf";
    public const long DefaultMaxFileBytes = 64L << 20;
    public const int DefaultKeepFiles = 5;

    private static readonly string[] SignalEndpointVariables =
        ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"];

    /// <summary>The TLS files the OTLP exporter reads (a CA, or a client certificate and its key for mTLS).</summary>
    private static readonly string[] CertificateVariables =
        ["OTEL_EXPORTER_OTLP_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_KEY"];

    /// <summary>The endpoint given on the command line; null when it comes from the environment or there is none.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>
    /// The protocol given on the command line or in <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>; else http/protobuf for an
    /// endpoint on port 4318; else null for the exporter's default (grpc).
    /// </summary>
    public OtlpExportProtocol? Protocol { get; init; }

    /// <summary>False when <c>OTEL_TRACES_EXPORTER=none</c>: spans are made but not exported.</summary>
    public bool ExportTraces { get; init; } = true;

    /// <summary>False when <c>OTEL_METRICS_EXPORTER=none</c>: no OTLP or file export of metrics (the Prometheus endpoint stays).</summary>
    public bool ExportMetrics { get; init; } = true;

    /// <summary>False when <c>OTEL_LOGS_EXPORTER=none</c>.</summary>
    public bool ExportLogs { get; init; } = true;

    /// <summary>Where the Prometheus scrape endpoint (<c>/metrics</c>) listens (<c>--prometheus</c>, <c>TRACER_PROMETHEUS</c>); null: none.</summary>
    public IPEndPoint? Prometheus { get; init; }

    /// <summary>OTLP when an endpoint is set on the command line or in the environment; else files under <see cref="DataDirectory"/>.</summary>
    public bool UsesOtlp { get; init; }

    public string DataDirectory { get; init; } = "";

    public long MaxFileBytes { get; init; } = DefaultMaxFileBytes;

    public int KeepFiles { get; init; } = DefaultKeepFiles;

    public TimeSpan MetricInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Human summary of the destination, for the log.</summary>
    public string Destination
    {
        get
        {
            var off = new (bool On, string Signal)[] { (ExportTraces, "traces"), (ExportMetrics, "metrics"), (ExportLogs, "logs") }
                .Where(s => !s.On).Select(s => s.Signal).ToList();
            var where = UsesOtlp
                ? $"OTLP {ProtocolName(Protocol ?? OtlpExportProtocol.Grpc)} {Endpoint?.ToString() ?? "(from OTEL_EXPORTER_OTLP_*)"}"
                : $"OTLP JSON files in {DataDirectory}";
            var destination = off.Count switch
            {
                0 => where,
                3 => "nothing exported (OTEL_*_EXPORTER=none)",
                _ => $"{where} ({string.Join(", ", off)} off)",
            };
            return Prometheus is null ? destination : $"{destination}; Prometheus metrics at http://{Prometheus}/metrics";
        }
    }

    /// <summary>
    /// Validates the command line and the standard <c>OTEL_*</c> variables; every problem is a
    /// <see cref="TelemetryConfigurationException"/> with one sentence. Creates the data directory
    /// (0700) and checks that it can be written when files are the destination.
    /// </summary>
    public static TelemetrySettings Resolve(string? endpoint, string? protocol, string? dataDirectory, Func<string, string?> environment, string? prometheus = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var protocolValue = protocol is not null
            ? ParseProtocol(protocol, "--otlp-protocol")
            : environment(ProtocolVariable) is { Length: > 0 } p ? ParseProtocol(p, ProtocolVariable) : (OtlpExportProtocol?)null;

        var endpointUri = endpoint is null ? null : ParseEndpoint(endpoint, "--otlp-endpoint");
        var firstEndpoint = endpointUri;
        foreach (var variable in SignalEndpointVariables.Prepend(EndpointVariable))
        {
            if (environment(variable) is { Length: > 0 } value)
            {
                var parsed = ParseEndpoint(value, variable);
                firstEndpoint ??= parsed;
            }
        }

        if (protocolValue is null && firstEndpoint?.Port == OtlpHttpPort)
        {
            protocolValue = OtlpExportProtocol.HttpProtobuf;
        }

        var prometheusEndpoint = prometheus is not null
            ? ParsePrometheus(prometheus, "--prometheus")
            : environment(PrometheusVariable) is { Length: > 0 } listen ? ParsePrometheus(listen, PrometheusVariable) : null;

        CheckExporterVariables(environment);
        var interval = TimeSpan.FromSeconds(60);
        if (environment(MetricIntervalVariable) is { Length: > 0 } ms)
        {
            if (!int.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 100)
            {
                throw new TelemetryConfigurationException($"{MetricIntervalVariable} {ms}: give the metric export interval in milliseconds, at least 100");
            }

            interval = TimeSpan.FromMilliseconds(n);
        }

        var settings = new TelemetrySettings
        {
            Endpoint = endpointUri,
            Protocol = protocolValue,
            UsesOtlp = firstEndpoint is not null,
            DataDirectory = Path.GetFullPath(dataDirectory ?? DefaultDataDirectory(environment)),
            MetricInterval = interval,
            ExportTraces = Exports(environment, TracesExporterVariable),
            ExportMetrics = Exports(environment, MetricsExporterVariable),
            ExportLogs = Exports(environment, LogsExporterVariable),
            Prometheus = prometheusEndpoint,
        };
        if (!settings.UsesOtlp && (settings.ExportTraces || settings.ExportMetrics || settings.ExportLogs))
        {
            EnsureWritable(settings.DataDirectory, dataDirectory is null ? "data directory" : "--data-dir");
        }

        return settings;
    }

    /// <summary>
    /// systemd's <c>$STATE_DIRECTORY</c> when it set one; else <c>/var/lib/tracer</c> for root;
    /// else <c>$XDG_STATE_HOME/tracer</c> or <c>~/.local/state/tracer</c>.
    /// </summary>
    public static string DefaultDataDirectory(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment("STATE_DIRECTORY") is { Length: > 0 } systemd)
        {
            return systemd.Split(':')[0];
        }

        if (Environment.IsPrivilegedProcess)
        {
            return "/var/lib/tracer";
        }

        var state = environment("XDG_STATE_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(state, "tracer");
    }

    public static string ProtocolName(OtlpExportProtocol protocol) => protocol == OtlpExportProtocol.Grpc ? "grpc" : "http/protobuf";

    public static bool TryParseProtocol(string text, out OtlpExportProtocol protocol)
    {
        OtlpExportProtocol? known = text.Trim() switch
        {
            "grpc" => OtlpExportProtocol.Grpc,
            "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            _ => null,
        };
        protocol = known ?? OtlpExportProtocol.Grpc;
        return known is not null;
    }

    /// <summary>Null for an http or https URL with a host, else what is wrong with it.</summary>
    public static string? EndpointProblem(string text) =>
        Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is ("http" or "https") && uri.Host.Length > 0
            ? null
            : "not an OTLP endpoint URL; give http://HOST:PORT or https://HOST:PORT";

    /// <summary>
    /// Null for <c>ADDR:PORT</c> with an IPv4 address (0.0.0.0 for every interface) and a port, else what is wrong
    /// with it. .NET's HttpListener on Linux takes no IPv6 address.
    /// </summary>
    public static string? PrometheusProblem(string text) =>
        IPEndPoint.TryParse(text.Trim(), out var listen) && listen.Port > 0 && listen.AddressFamily == AddressFamily.InterNetwork
            ? null
            : "give the IPv4 address and port to serve /metrics on, ADDR:PORT (e.g. 127.0.0.1:9464, or 0.0.0.0:9464 for every interface)";

    /// <summary>True unless the variable says <c>none</c>; <c>otlp</c> (the default) sends the signal to the configured destination.</summary>
    private static bool Exports(Func<string, string?> environment, string variable) => environment(variable)?.Trim() switch
    {
        null or "" or "otlp" => true,
        "none" => false,
        var other => throw new TelemetryConfigurationException(variable == MetricsExporterVariable && other == "prometheus"
            ? $"{variable} {other}: give otlp or none; the Prometheus endpoint is --prometheus ADDR:PORT or {PrometheusVariable}"
            : $"{variable} {other}: give otlp or none"),
    };

    private static IPEndPoint ParsePrometheus(string text, string source) =>
        PrometheusProblem(text) is { } problem ? throw new TelemetryConfigurationException($"{source} {text}: {problem}") : IPEndPoint.Parse(text.Trim());

    private static OtlpExportProtocol ParseProtocol(string text, string source) =>
        TryParseProtocol(text, out var protocol) ? protocol : throw new TelemetryConfigurationException($"{source} {text}: {UnknownProtocol}");

    private static Uri ParseEndpoint(string text, string source) =>
        EndpointProblem(text) is { } problem ? throw new TelemetryConfigurationException($"{source} {text}: {problem}") : new Uri(text.Trim());

    /// <summary>
    /// The variables the OTLP exporter reads by itself, which it would otherwise reject with a stack trace
    /// (headers) or ignore (timeout, certificate paths). Header values are secrets: never repeated.
    /// </summary>
    private static void CheckExporterVariables(Func<string, string?> environment)
    {
        if (environment(HeadersVariable) is { Length: > 0 } headers)
        {
            var entries = headers.Split(',');
            for (var i = 0; i < entries.Length; i++)
            {
                var separator = entries[i].IndexOf('=', StringComparison.Ordinal);
                if (separator < 0 || entries[i][..separator].Trim().Length == 0)
                {
                    throw new TelemetryConfigurationException(
                        $"{HeadersVariable}: entry {i + 1} of {entries.Length} is not key=value; give comma-separated key=value pairs");
                }
            }
        }

        if (environment(TimeoutVariable) is { Length: > 0 } timeout
            && (!int.TryParse(timeout, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms < 1))
        {
            throw new TelemetryConfigurationException($"{TimeoutVariable} {timeout}: give the export timeout in milliseconds, a positive whole number");
        }

        foreach (var variable in CertificateVariables)
        {
            if (environment(variable) is { Length: > 0 } path && !File.Exists(path))
            {
                throw new TelemetryConfigurationException($"{variable} {path}: no such file");
            }
        }
    }

    private static void EnsureWritable(string directory, string source)
    {
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var probe = Path.Combine(directory, $".tracer-write-check-{Environment.ProcessId}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TelemetryConfigurationException($"{source} {directory}: cannot write telemetry files there ({e.Message.TrimEnd('.')})");
        }
    }
}

/// <summary>A telemetry option or <c>OTEL_*</c> variable that cannot be used; the message is one sentence.</summary>
public sealed class TelemetryConfigurationException(string message) : Exception(message);
