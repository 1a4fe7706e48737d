using System.Diagnostics;
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

/// <inheritdoc cref="CountingOtlpTraceExporter"/>
internal sealed class CountingOtlpLogExporter(OtlpExporterOptions options, ExportHealth health) : OtlpLogExporter(options)
{
    private readonly string destination = options.Endpoint.ToString();

    public override ExportResult Export(in Batch<LogRecord> batch) =>
        CountingOtlpTraceExporter.Report(base.Export(batch), health, "logs", batch.Count, destination);
}

/// <inheritdoc cref="CountingOtlpTraceExporter"/>
internal sealed class CountingOtlpMetricExporter(OtlpExporterOptions options, ExportHealth health) : OtlpMetricExporter(options)
{
    private readonly string destination = options.Endpoint.ToString();

    public override ExportResult Export(in Batch<Metric> batch) =>
        CountingOtlpTraceExporter.Report(base.Export(batch), health, "metrics", batch.Count, destination);
}
