using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Tracer.Analysis.Recording;

namespace Tracer.Integration.Tests;

/// <summary>The <c>tracer tcp</c> and <c>tracer replay</c> commands as a user runs them.</summary>
public sealed class TcpCliTests
{
    [KernelFact]
    public void TcpJsonReportsAZeroWindowEpisodeWithOwnerAndTuple()
    {
        using var loopback = new Loopback();
        using var tracer = StartTracer("tcp", "--json", "--port", loopback.Port.ToString(), "--duration", "8", "-v");
        var (client, server) = loopback.Connect();
        var queued = Loopback.FillUntilBlocked(client);
        Thread.Sleep(1500);
        Loopback.Drain(server, queued);
        var lines = tracer.Finish();

        var start = lines.Single(l => l.GetProperty("kind").GetString() == "tcp.zero_window.start");
        var end = lines.Single(l => l.GetProperty("kind").GetString() == "tcp.zero_window.end");
        var clientEnd = (IPEndPoint)client.LocalEndPoint!;
        foreach (var finding in new[] { start, end })
        {
            Assert.Equal(Environment.ProcessId, finding.GetProperty("pid").GetInt32());
            Assert.Equal(File.ReadAllText("/proc/self/comm").TrimEnd('\n'), finding.GetProperty("comm").GetString());
            Assert.Equal("127.0.0.1", finding.GetProperty("saddr").GetString());
            Assert.Equal(clientEnd.Port, finding.GetProperty("sport").GetInt32());
            Assert.Equal("127.0.0.1", finding.GetProperty("daddr").GetString());
            Assert.Equal(loopback.Port, finding.GetProperty("dport").GetInt32());
        }

        Assert.InRange(end.GetProperty("duration_ms").GetDouble(), 1500, 4000);
        Assert.DoesNotContain(lines, l => l.GetProperty("kind").GetString() == "tcp.sample");
        Assert.Equal(0, tracer.ExitCode);
    }

    [KernelFact]
    public void EverySegmentEmitsOneSamplePerSegment()
    {
        using var loopback = new Loopback();
        using var tracer = StartTracer("tcp", "--json", "--every-segment", "--port", loopback.Port.ToString(), "--duration", "4", "-v");
        var (client, server) = loopback.Connect();
        for (var i = 0; i < 20; i++)
        {
            Loopback.Transfer(client, server, 1000);
            Loopback.Transfer(server, client, 1000);
        }

        var samples = tracer.Finish().Where(l => l.GetProperty("kind").GetString() == "tcp.sample").ToList();
        Assert.True(samples.Count >= 40, $"{samples.Count} samples for 40 exchanges");
        Assert.All(samples, s => Assert.InRange(DateTime.Parse(s.GetProperty("time").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal),
            DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", samples[0].GetProperty("time").GetString());
        foreach (var field in new[] { "ts_ns", "time", "cookie", "pid", "comm", "family", "saddr", "sport", "daddr", "dport", "snd_una", "snd_nxt", "snd_wnd", "snd_wl1", "rcv_nxt", "bytes_received", "bytes_acked", "seg_seq", "seg_ack", "seg_win", "snd_wscale", "probes_out" })
        {
            Assert.True(samples[0].TryGetProperty(field, out _), $"tcp.sample has no {field}");
        }
    }

    [KernelTheory]
    [InlineData("--port")]
    [InlineData("--pid")]
    public void AnIdleConnectionThatExistedBeforeTheStartShowsAtOnce(string by)
    {
        // idle: no segment, so no live sample would ever name it; only the start-up snapshot does
        using var loopback = new Loopback();
        var (client, _) = loopback.Connect();
        var sport = ((IPEndPoint)client.LocalEndPoint!).Port;
        var value = by == "--port" ? loopback.Port : Environment.ProcessId;
        using var tracer = StartTracer("tcp", "--json", "--every-segment", by, value.ToString(CultureInfo.InvariantCulture), "--duration", "2", "-v");
        var samples = tracer.Finish().Where(l => l.GetProperty("kind").GetString() == "tcp.sample").ToList();

        var ours = Assert.Single(samples, s => s.GetProperty("sport").GetInt32() == sport && s.GetProperty("dport").GetInt32() == loopback.Port);
        Assert.Equal(Environment.ProcessId, ours.GetProperty("pid").GetInt32());
    }

    [KernelFact]
    public void RecordWritesAFileOnlyItsOwnerCanRead()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tracer-record-{Environment.ProcessId}.trec");
        try
        {
            // a connection made while recording: a file without samples would not replay
            using var loopback = new Loopback();
            var recording = Task.Run(() => TracerProcess.Run("record", "-o", path, "--port", loopback.Port.ToString(CultureInfo.InvariantCulture), "--duration", "3"));
            Thread.Sleep(1500);
            var (client, _) = loopback.Connect();
            Loopback.FillUntilBlocked(client); // a zero window: findings for the replay below
            var result = recording.Result;
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(0, TracerProcess.Run("replay", path).ExitCode);

            // a recording's header holds its wall clock: replayed findings carry the time they happened
            var json = TracerProcess.Run("replay", "--json", path);
            var findings = json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.NotEmpty(findings);
            Assert.All(findings, f => Assert.InRange(DateTime.Parse(f.GetProperty("time").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal),
                DateTime.UtcNow.AddMinutes(-2), DateTime.UtcNow));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ReplayOfTheIncidentIsStuckWithExitThree()
    {
        var result = TracerProcess.Run("replay", Fixture("incident-rsync.jsonl"));
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("tcp.stuck", result.Stdout);
        Assert.Contains("send window 0 for 4h31m; peer advertises 1.77 MB (13831<<7)", result.Stdout);
        // times since the first sample, marked by their sign, not a wall clock the samples do not have
        Assert.All(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Matches(@"^\+\d\d:\d\d:\d\d\.\d{3} ", l));
        Assert.Contains("\n+04:3", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplayOfACorruptFilePrintsFindingsSoFarThenTheLine()
    {
        var lines = File.ReadAllLines(Fixture("incident-rsync.jsonl"));
        var broken = Path.Combine(Path.GetTempPath(), $"tracer-broken-{Environment.ProcessId}.jsonl");
        // keep everything up to the wl1 lag findings, then a line that is not JSON
        var keep = lines.Length * 2 / 3;
        File.WriteAllLines(broken, lines.Take(keep).Append("{\"ts_ns\": oops"));
        try
        {
            var result = TracerProcess.Run("replay", "--json", broken);
            Assert.Equal(1, result.ExitCode);
            Assert.StartsWith("tracer: ", result.Stderr);
            Assert.Contains($"line {keep + 1}", result.Stderr);
            Assert.Contains("tcp.wl1_lag", result.Stdout);
            Assert.DoesNotContain("   at ", result.Stderr);
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Theory]
    [InlineData("\u0089TRC\r\n\u001a\n garbage after a real magic")]
    [InlineData("not a recording at all")]
    public void ReplayOfAForeignFileIsOneCleanError(string content)
    {
        var path = Path.Combine(Path.GetTempPath(), $"tracer-foreign-{Environment.ProcessId}-{content.Length}");
        File.WriteAllText(path, content);
        try
        {
            var result = TracerProcess.Run("replay", path);
            Assert.Equal(1, result.ExitCode);
            Assert.StartsWith("tracer: ", result.Stderr);
            Assert.Equal(1, result.Stderr.Count(c => c == '\n'));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Damage of the kinds the reader fuzzer produces, to a recording and to JSON Lines of the incident.</summary>
    [Theory]
    [InlineData("recording cut inside a record", "byte offset ")]
    [InlineData("recording with a flipped bit", "checksum mismatch")]
    [InlineData("recording of version 0", "format version 0")]
    [InlineData("lines with invalid UTF-8", "invalid UTF-8 at column")]
    [InlineData("lines with a lone surrogate", "lone UTF-16 surrogate")]
    [InlineData("lines nested too deep", "invalid JSON at column")]
    [InlineData("lines with a huge number", "expected an integer from 0 to 4294967295")]
    public void ReplayOfACorruptedFileIsOneCleanError(string corruption, string reason)
    {
        var path = Path.Combine(Path.GetTempPath(), $"tracer-corrupt-{Environment.ProcessId}-{corruption.Replace(' ', '-')}");
        File.WriteAllBytes(path, Corrupted(corruption));
        try
        {
            var result = TracerProcess.Run("replay", path);
            Assert.Equal(1, result.ExitCode);
            Assert.StartsWith($"tracer: {path}: ", result.Stderr);
            Assert.Contains(reason, result.Stderr);
            Assert.Equal(1, result.Stderr.Count(c => c == '\n'));
            Assert.DoesNotContain("   at ", result.Stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] Corrupted(string corruption)
    {
        var lines = File.ReadAllLines(Fixture("incident-rsync.jsonl"));
        var sampleLine = lines.First(l => l.StartsWith('{'));
        using var recording = new MemoryStream();
        using (var source = SampleSource.Open(Fixture("incident-rsync.jsonl")))
        using (var writer = new RecordingWriter(recording, "6.18.0", leaveOpen: true))
        {
            foreach (var sample in source.ReadAll())
            {
                writer.Write(sample);
            }
        }

        var bytes = recording.ToArray();
        switch (corruption)
        {
            case "recording cut inside a record":
                return bytes[..(bytes.Length - 20)];
            case "recording with a flipped bit":
                bytes[bytes.Length / 2] ^= 0x04;
                return bytes;
            case "recording of version 0":
                bytes[8] = 0;
                return bytes;
            case "lines with invalid UTF-8":
                return Encoding.Latin1.GetBytes(sampleLine + "\n" + sampleLine.Replace("rsync", "rs\u00ffnc", StringComparison.Ordinal) + "\n");
            case "lines with a lone surrogate":
                return Encoding.UTF8.GetBytes(sampleLine + "\n" + sampleLine.Replace("rsync", "rs\\ud800nc", StringComparison.Ordinal) + "\n");
            case "lines nested too deep":
                return Encoding.UTF8.GetBytes(sampleLine + "\n" + "{\"extra\": " + new string('[', 10_000) + new string(']', 10_000) + "}\n");
            default:
                return Encoding.UTF8.GetBytes("{\"snd_wnd\": " + new string('9', 100_000) + ", " + sampleLine[1..] + "\n");
        }
    }

    [Fact]
    public void ReplayOfAMissingFileSaysSo()
    {
        var result = TracerProcess.Run("replay", "/nonexistent/recording.trec");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("tracer: /nonexistent/recording.trec: no such file\n", result.Stderr);
    }

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    private static RunningTracer StartTracer(params string[] args) => new(args);

    /// <summary>A tracer child process, ready once it has attached (its -v log names the chosen hook).</summary>
    private sealed class RunningTracer : IDisposable
    {
        private readonly Process process;
        private readonly Task<string> stdout;
        private readonly Task<string> stderr;

        public RunningTracer(string[] args)
        {
            var start = new ProcessStartInfo(TracerProcess.Binary) { RedirectStandardOutput = true, RedirectStandardError = true };
            args.ToList().ForEach(start.ArgumentList.Add);
            process = Process.Start(start)!;
            var attached = new TaskCompletionSource();
            var log = new System.Text.StringBuilder();
            stderr = Task.Run(() =>
            {
                while (process.StandardError.ReadLine() is { } line)
                {
                    log.AppendLine(line);
                    if (line.Contains("tcp ack path:", StringComparison.Ordinal))
                    {
                        attached.TrySetResult();
                    }
                }

                attached.TrySetResult();
                return log.ToString();
            });
            stdout = process.StandardOutput.ReadToEndAsync();
            Assert.True(attached.Task.Wait(TimeSpan.FromSeconds(20)), "tracer did not attach");
        }

        public int ExitCode => process.ExitCode;

        public List<JsonElement> Finish()
        {
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "tracer did not stop at --duration");
            Assert.True(process.ExitCode is 0 or 3, stderr.Result);
            return stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        }

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.Dispose();
        }
    }
}
