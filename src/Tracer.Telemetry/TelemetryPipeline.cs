using System.Net;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Tracer.Telemetry;

/// <summary>
/// The running OpenTelemetry SDK for Tracer: spans, metrics and finding logs, each exported
/// to the destination of the settings. Disposing flushes what is queued and shuts down.
/// </summary>
public sealed class TelemetryPipeline : IDisposable
{
    private readonly TracerProvider traces;
    private readonly MeterProvider metrics;
    private readonly MeterProvider? scrape;
    private readonly ILoggerFactory logs;

    private TelemetryPipeline(TracerProvider traces, MeterProvider metrics, MeterProvider? scrape, ILoggerFactory logs, ExportHealth health)
    {
        this.traces = traces;
        this.metrics = metrics;
        this.scrape = scrape;
        this.logs = logs;
        Health = health;
        FindingLogger = logs.CreateLogger(TracerTelemetry.FindingsCategory);
    }

    /// <summary>Logs findings as OpenTelemetry log records (not to the console).</summary>
    public ILogger FindingLogger { get; }

    public ExportHealth Health { get; }

    /// <param name="diagnostics">Where export failures and recoveries are reported.</param>
    public static TelemetryPipeline Start(TelemetrySettings settings, ILogger diagnostics)
    {
        var health = new ExportHealth(diagnostics);
        var scrape = settings.Prometheus is { } listen ? ServePrometheus(listen) : null;
        var traces = Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(DescribeHost)
            .AddTracerInstrumentation()
            .AddTracerExporter(settings, health)
            .Build();
        var metrics = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(DescribeHost)
            .AddTracerInstrumentation()
            .AddTracerExporter(settings, health)
            .Build();
        var logs = LoggerFactory.Create(builder => builder
            .SetMinimumLevel(LogLevel.Information)
            .AddOpenTelemetry(options =>
            {
                options.IncludeFormattedMessage = true;
                options.IncludeScopes = false;
            })
            .Services.ConfigureOpenTelemetryLoggerProvider(provider => provider
                .ConfigureResource(DescribeHost)
                .AddTracerExporter(settings, health)));

        // each exported signal's lost counter starts at 0: a first loss is then an increase, not a new series
        foreach (var (signal, exported) in new[] { ("spans", settings.ExportTraces), ("metrics", settings.ExportMetrics), ("logs", settings.ExportLogs) })
        {
            if (exported)
            {
                TracerTelemetry.ExportLost.Add(0, new KeyValuePair<string, object?>(TelemetryAttributes.TelemetrySignal, signal));
            }
        }

        return new TelemetryPipeline(traces, metrics, scrape, logs, health);
    }

    /// <summary>Exports what is queued now; false when it did not finish within <paramref name="timeout"/>.</summary>
    public bool Flush(TimeSpan timeout)
    {
        var ms = (int)timeout.TotalMilliseconds;
        return traces.ForceFlush(ms) & metrics.ForceFlush(ms);
    }

    public void Dispose()
    {
        traces.Dispose();
        logs.Dispose();
        metrics.Dispose();
        scrape?.Dispose();
    }

    /// <summary>
    /// The Prometheus endpoint has a provider of its own: a pull reader has nothing to flush, and
    /// <see cref="Flush"/> reports only what pushes.
    /// </summary>
    private static MeterProvider ServePrometheus(IPEndPoint listen)
    {
        try
        {
            return Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(DescribeHost)
                .AddTracerInstrumentation()
                .AddTracerPrometheusEndpoint(listen)
                .Build();
        }
        catch (InvalidOperationException e)
        {
            throw new IOException($"cannot serve Prometheus metrics on {listen}: {(e.InnerException ?? e).Message.TrimEnd('.')}", e);
        }
    }

    /// <summary>
    /// service.name (tracer unless <c>OTEL_SERVICE_NAME</c> says otherwise), service.instance.id (stable per host),
    /// host.name, the SDK, then <c>OTEL_RESOURCE_ATTRIBUTES</c>.
    /// </summary>
    private static void DescribeHost(ResourceBuilder resource) => resource
        .Clear()
        .AddService(TracerTelemetry.DefaultServiceName, serviceVersion: typeof(TelemetryPipeline).Assembly.GetName().Version?.ToString(3),
            autoGenerateServiceInstanceId: ServiceInstance.Id is null, serviceInstanceId: ServiceInstance.Id)
        .AddAttributes([new(TelemetryAttributes.HostName, Environment.MachineName)])
        .AddTelemetrySdk()
        .AddEnvironmentVariableDetector();
}
