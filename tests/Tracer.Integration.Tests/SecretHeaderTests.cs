using System.Diagnostics;

namespace Tracer.Integration.Tests;

/// <summary>OTLP headers carry tokens: they must not appear in any output, even at the most verbose.</summary>
public sealed class SecretHeaderTests
{
    private const string Token = "s3cr3t-token-7f2a";

    [KernelTheory]
    [InlineData("run", "-v", "-v", "--duration", "1", "--no-slab", "--otlp-endpoint", "http://127.0.0.1:9")]
    [InlineData("doctor", "--json", "-v", "-v")]
    public void TokensNeverReachTheOutput(params string[] args)
    {
        var start = new ProcessStartInfo(TracerProcess.Binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        args.ToList().ForEach(start.ArgumentList.Add);
        start.Environment["OTEL_EXPORTER_OTLP_HEADERS"] = $"authorization=Bearer {Token}";
        start.Environment["OTEL_EXPORTER_OTLP_TIMEOUT"] = "1000";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "tracer did not stop");
        Assert.DoesNotContain(Token, stdout.Result + stderr.Result, StringComparison.Ordinal);
        Assert.True(process.ExitCode == 0, stderr.Result);
    }
}
