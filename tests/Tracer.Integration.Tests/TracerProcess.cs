using System.Diagnostics;

namespace Tracer.Integration.Tests;

/// <summary>Runs the built <c>tracer</c> binary as a user would, capturing its output and exit code.</summary>
public sealed record TracerResult(int ExitCode, string Stdout, string Stderr);

public static class TracerProcess
{
    /// <summary>The apphost next to the test assembly (the test project references Tracer.Cli).</summary>
    public static string Binary { get; } = Path.Combine(AppContext.BaseDirectory, "tracer");

    public static TracerResult Run(params string[] args) => Run(TimeSpan.FromSeconds(60), null, args);

    /// <summary>Runs <c>tracer</c>, or <paramref name="wrapper"/> (e.g. setpriv …) with tracer as its last argument.</summary>
    public static TracerResult Run(TimeSpan timeout, string[]? wrapper, params string[] args) => Run(timeout, wrapper, new Dictionary<string, string>(), args);

    /// <summary>Runs <c>tracer</c> with <paramref name="environment"/> added to this process's environment.</summary>
    public static TracerResult Run(TimeSpan timeout, string[]? wrapper, IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var start = new ProcessStartInfo(wrapper?[0] ?? Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        foreach (var a in wrapper?.Skip(1).Append(Binary) ?? [])
        {
            start.ArgumentList.Add(a);
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"tracer {string.Join(' ', args)} did not finish within {timeout}");
        }

        return new TracerResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
