using System.Diagnostics;
using System.Runtime.CompilerServices;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;

namespace Tracer.Telemetry.Implementation;

/// <summary>The official OTLP span exporter, reporting each undelivered batch to <see cref="ExportHealth"/>.</summary>
internal sealed class CountingOtlpTraceExporter(OtlpExporterOptions options, ExportHealth health) : OtlpTraceExporter(options)
{
    private readonly string destination = options.Endpoint.ToString();

    public override ExportResult Export(in Batch<Activity> batch) =>
        Report(base.Export(batch), health, "spans", batch.Count, destination);

    internal static ExportResult Report(ExportResult result, ExportHealth health, string signal, long items, string destination)
    {
        if (result == ExportResult.Success)
        {
            health.Succeeded(signal, destination);
        }
        else
        {
            health.Failed(signal, items, destination);
        }

        return result;
    }
}

/// <summary>
/// The official OTLP log exporter (a sealed class, so wrapped rather than derived), reporting each
/// undelivered batch to <see cref="ExportHealth"/>. The wrapped exporter reads the resource from its
/// parent provider, which the SDK sets only on the exporter it is given: it is handed on here.
/// </summary>
internal sealed class CountingOtlpLogExporter(OtlpExporterOptions options, ExportHealth health) : BaseExporter<LogRecord>
{
    private readonly OtlpLogExporter inner = new(options);
    private readonly string destination = options.Endpoint.ToString();

    public override ExportResult Export(in Batch<LogRecord> batch)
    {
        if (inner.ParentProvider is null && ParentProvider is not null)
        {
            ExporterAccess<LogRecord>.SetParentProvider(inner, ParentProvider);
        }

        return CountingOtlpTraceExporter.Report(inner.Export(batch), health, "logs", batch.Count, destination);
    }

    protected override bool OnForceFlush(int timeoutMilliseconds) => inner.ForceFlush(timeoutMilliseconds);

    protected override bool OnShutdown(int timeoutMilliseconds) => inner.Shutdown(timeoutMilliseconds);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>The SDK's internal setter of <see cref="BaseExporter{T}.ParentProvider"/> (generic accessors must mirror the type's parameters).</summary>
internal static class ExporterAccess<T>
    where T : class
{
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_ParentProvider")]
    public static extern void SetParentProvider(BaseExporter<T> exporter, BaseProvider provider);
}

/// <inheritdoc cref="CountingOtlpTraceExporter"/>
internal sealed class CountingOtlpMetricExporter(OtlpExporterOptions options, ExportHealth health) : OtlpMetricExporter(options)
{
    private readonly string destination = options.Endpoint.ToString();

    public override ExportResult Export(in Batch<Metric> batch) =>
        CountingOtlpTraceExporter.Report(base.Export(batch), health, "metrics", batch.Count, destination);
}
