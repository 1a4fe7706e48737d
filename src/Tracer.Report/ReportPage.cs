using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Tracer.Report;

/// <summary>
/// The report as one HTML file: the chart library, the page's script and styles and the data all
/// inline, so it opens from a mail attachment or a ticket with no network.
/// </summary>
public static class ReportPage
{
    /// <summary>The element that holds the page's data; the page's script reads it by this id.</summary>
    public const string DataElementId = "report-data";

    public static void Write(Stream output, ReportBuilder report, string generator)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(report);
        using var text = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        text.Write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        // no request leaves the page, whatever its data holds
        text.Write("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n");
        text.Write("<title>tracer report</title>\n<style>\n");
        text.Write(Asset("uPlot.min.css"));
        text.Write('\n');
        text.Write(Asset("report.css"));
        text.Write("\n</style>\n<script>\n");
        text.Write(Asset("uPlot.iife.min.js"));
        text.Write($"\n</script>\n</head>\n<body>\n<script id=\"{DataElementId}\" type=\"application/json\">");
        text.Flush();
        // the default encoder escapes < > & in strings: nothing in the data can close the script element
        using (var json = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.Default }))
        {
            report.WriteData(json, generator);
        }

        text.Write("</script>\n<script>\n");
        text.Write(Asset("report.js"));
        text.Write("\n</script>\n</body>\n</html>\n");
    }

    private static string Asset(string name)
    {
        using var stream = typeof(ReportPage).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"report asset {name} is not embedded in {typeof(ReportPage).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
