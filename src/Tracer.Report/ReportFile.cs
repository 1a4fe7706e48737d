namespace Tracer.Report;

/// <summary>Writes the page to a file, readable by its owner only: a report names hosts, ports and processes.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class ReportFile
{
    /// <summary>What the header names as the report's maker.</summary>
    public static string Generator => $"tracer {typeof(ReportFile).Assembly.GetName().Version?.ToString(3) ?? "?"}";

    public static void Write(string path, ReportBuilder report)
    {
        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            BufferSize = 1 << 16,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        ReportPage.Write(file, report, Generator);
    }
}
