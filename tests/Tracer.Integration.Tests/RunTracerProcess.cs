using System.Diagnostics;
using System.Text;

namespace Tracer.Integration.Tests;

/// <summary>
/// <c>tracer run</c> in the background with its own environment (no inherited <c>OTEL_*</c>),
/// ready once it has attached; short export intervals so tests see telemetry within a second.
/// </summary>
public sealed class RunTracerProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder stderr = new();
    private readonly Task<string> stdout;
    private readonly Task stderrReader;

    public RunTracerProcess(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(TracerProcess.Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["OTEL_METRIC_EXPORT_INTERVAL"] = "500";
        start.Environment["OTEL_BSP_SCHEDULE_DELAY"] = "200";
        start.Environment["OTEL_BLRP_SCHEDULE_DELAY"] = "200";
        start.Environment["OTEL_EXPORTER_OTLP_TIMEOUT"] = "2000";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        foreach (var a in args.Append("-v"))
        {
            start.ArgumentList.Add(a);
        }

        process = Process.Start(start)!;
        var attached = new TaskCompletionSource();
        stderrReader = Task.Run(() =>
        {
            while (process.StandardError.ReadLine() is { } line)
            {
                lock (stderr)
                {
                    stderr.AppendLine(line);
                }

                if (line.Contains("tcp ack path:", StringComparison.Ordinal))
                {
                    attached.TrySetResult();
                }
            }

            attached.TrySetResult();
        });
        stdout = process.StandardOutput.ReadToEndAsync();
        Assert.True(attached.Task.Wait(TimeSpan.FromSeconds(30)), "tracer run did not attach");
        Assert.False(process.HasExited, $"tracer run exited at start: {Stderr}");
    }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    public string Stderr
    {
        get
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }
    }

    /// <summary>Resident memory now, from /proc/PID/status.</summary>
    public long RssBytes =>
        long.Parse(File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

    /// <summary>Waits for the exit (at --duration or after SIGTERM); returns (exit code, stdout, stderr).</summary>
    public (int ExitCode, string Stdout, string Stderr) Finish(TimeSpan timeout)
    {
        Assert.True(process.WaitForExit(timeout), $"tracer run did not stop: {Stderr}");
        stderrReader.Wait(TimeSpan.FromSeconds(5));
        return (process.ExitCode, stdout.Result, Stderr);
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit(5000);
        }

        process.Dispose();
    }
}

/// <summary>A zero-window episode of a known length on a loopback connection made in this process.</summary>
public static class ZeroWindowEpisode
{
    /// <summary>
    /// Fills the client's send path until the server's receive window is 0, waits, then reads
    /// everything. Returns the client's local port and the stall as this process saw it: from
    /// the last send the kernel took to the moment the server starts reading.
    /// </summary>
    public static (ushort ClientPort, TimeSpan Stall) Make(Loopback loopback, TimeSpan hold)
    {
        var (client, server) = loopback.Connect();
        client.Blocking = false;
        var chunk = new byte[64 * 1024];
        long queued = 0;
        var lastAccepted = Stopwatch.StartNew();
        while (lastAccepted.ElapsedMilliseconds < 300)
        {
            var n = client.Send(chunk, 0, chunk.Length, System.Net.Sockets.SocketFlags.None, out var error);
            if (error == System.Net.Sockets.SocketError.Success && n > 0)
            {
                queued += n;
                lastAccepted.Restart();
            }
            else
            {
                Thread.Sleep(5);
            }
        }

        Thread.Sleep(hold);
        var stall = lastAccepted.Elapsed;
        Loopback.Drain(server, queued);
        return ((ushort)((System.Net.IPEndPoint)client.LocalEndPoint!).Port, stall);
    }
}
