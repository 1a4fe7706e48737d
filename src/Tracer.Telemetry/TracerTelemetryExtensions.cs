using System.Net;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Tracer.Telemetry.Implementation;

namespace Tracer.Telemetry;

/// <summary>Wiring Tracer's telemetry into the OpenTelemetry builders, the usual way.</summary>
public static class TracerTelemetryExtensions
{
    /// <summary>Listens to Tracer's spans (<see cref="TracerTelemetry.SourceName"/>).</summary>
    public static TracerProviderBuilder AddTracerInstrumentation(this TracerProviderBuilder builder) =>
        builder.AddSource(TracerTelemetry.SourceName);

    /// <summary>Collects Tracer's metrics (<see cref="TracerTelemetry.MeterName"/>).</summary>
    public static MeterProviderBuilder AddTracerInstrumentation(this MeterProviderBuilder builder) =>
        builder.AddMeter(TracerTelemetry.MeterName);

    /// <summary>Spans to the destination of <paramref name="settings"/>, batched through a bounded queue (<c>OTEL_BSP_*</c>); none when traces are off.</summary>
    public static TracerProviderBuilder AddTracerExporter(this TracerProviderBuilder builder, TelemetrySettings settings, ExportHealth health)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.ExportTraces)
        {
            return builder;
        }

        BaseExporter<System.Diagnostics.Activity> exporter = settings.UsesOtlp
            ? new CountingOtlpTraceExporter(OtlpOptions(settings, "v1/traces", "TRACES"), health)
            : new OtlpJsonTraceFileExporter(File(settings, "traces.jsonl"), health);
        var batch = new BatchExportActivityProcessorOptions();
        return builder.AddProcessor(new BatchActivityExportProcessor(
            exporter, batch.MaxQueueSize, batch.ScheduledDelayMilliseconds, batch.ExporterTimeoutMilliseconds, batch.MaxExportBatchSize));
    }

    /// <summary>Metrics to the destination of <paramref name="settings"/>, every <see cref="TelemetrySettings.MetricInterval"/>; none when metrics are off.</summary>
    public static MeterProviderBuilder AddTracerExporter(this MeterProviderBuilder builder, TelemetrySettings settings, ExportHealth health)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.ExportMetrics)
        {
            return builder;
        }

        BaseExporter<Metric> exporter = settings.UsesOtlp
            ? new CountingOtlpMetricExporter(OtlpOptions(settings, "v1/metrics", "METRICS"), health)
            : new OtlpJsonMetricFileExporter(File(settings, "metrics.jsonl"), health);
        return builder.AddReader(new PeriodicExportingMetricReader(exporter, (int)settings.MetricInterval.TotalMilliseconds)
        {
            TemporalityPreference = MetricReaderTemporalityPreference.Cumulative,
        });
    }

    /// <summary>Serves the metrics at <c>http://<paramref name="listen"/>/metrics</c> through OpenTelemetry's Prometheus exporter.</summary>
    public static MeterProviderBuilder AddTracerPrometheusEndpoint(this MeterProviderBuilder builder, IPEndPoint listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        return builder.AddPrometheusHttpListener(options =>
        {
            options.Port = listen.Port;
            // the exporter's Host must be a URI host name; HttpListener's own prefix also takes "*" (every interface)
            options.ConfigureHttpListener = (_, listener) =>
            {
                listener.Prefixes.Clear();
                listener.Prefixes.Add($"http://{PrometheusHost(listen.Address)}:{listen.Port}/");
            };
        });
    }

    /// <summary>Log records to the destination of <paramref name="settings"/>, batched through a bounded queue (<c>OTEL_BLRP_*</c>); none when logs are off.</summary>
    public static LoggerProviderBuilder AddTracerExporter(this LoggerProviderBuilder builder, TelemetrySettings settings, ExportHealth health)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.ExportLogs)
        {
            return builder;
        }

        BaseExporter<LogRecord> exporter = settings.UsesOtlp
            ? new CountingOtlpLogExporter(OtlpOptions(settings, "v1/logs", "LOGS"), health)
            : new OtlpJsonLogFileExporter(File(settings, "logs.jsonl"), health);
        var batch = new BatchExportLogRecordProcessorOptions();
        return builder.AddProcessor(new BatchLogRecordExportProcessor(
            exporter, batch.MaxQueueSize, batch.ScheduledDelayMilliseconds, batch.ExporterTimeoutMilliseconds, batch.MaxExportBatchSize));
    }

    /// <summary>
    /// Options from the standard <c>OTEL_EXPORTER_OTLP_*</c> variables (endpoint, protocol, headers,
    /// timeout, compression, TLS certificates), then the signal's own endpoint variable, then the
    /// command line. An endpoint set in code is used as is, so HTTP gets the signal's path here.
    /// </summary>
    private static OtlpExporterOptions OtlpOptions(TelemetrySettings settings, string httpPath, string signal)
    {
        var options = new OtlpExporterOptions();
        if (settings.Protocol is { } protocol)
        {
            options.Protocol = protocol;
        }

        if (settings.Endpoint is { } endpoint)
        {
            options.Endpoint = options.Protocol == OtlpExportProtocol.HttpProtobuf ? WithPath(endpoint, httpPath) : endpoint;
        }
        else if (Environment.GetEnvironmentVariable($"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT") is { Length: > 0 } signalEndpoint)
        {
            options.Endpoint = new Uri(signalEndpoint);
        }

        return options;
    }

    /// <summary>HttpListener's name for an address: <c>*</c> (every interface, any Host header) for 0.0.0.0.</summary>
    private static string PrometheusHost(IPAddress address) => address.Equals(IPAddress.Any) ? "*" : address.ToString();

    private static Uri WithPath(Uri endpoint, string path)
    {
        var text = endpoint.ToString();
        return new Uri(text.EndsWith('/') ? text + path : $"{text}/{path}");
    }

    private static RotatingFile File(TelemetrySettings settings, string name) =>
        new(Path.Combine(settings.DataDirectory, name), settings.MaxFileBytes, settings.KeepFiles);
}
