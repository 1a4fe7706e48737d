using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Resets;
using Tracer.Bpf;
using Tracer.Bpf.Attach;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests.Resets;

/// <summary>Incident 3 of CASES.md on the real kernel: a ghost listener joins a server's SO_REUSEPORT group and exits with connections queued.</summary>
public sealed class ResetTests(ITestOutputHelper output) : IDisposable
{
    private readonly string goFile = Path.Combine(Path.GetTempPath(), $"tracer-ghost-{Guid.NewGuid():N}");

    [KernelTheory]
    [InlineData(null)]
    [InlineData(AttachMethod.RawTracepoint)]
    [InlineData(AttachMethod.Tracepoint)]
    public void AGhostListenerIsNamedWithExactlyTheResetsItsClientsSawAndTheServerAsTheOtherMember(AttachMethod? method)
    {
        var port = Clients.FreePort();
        using var trace = new ResetTrace(output, new ResetAnalyzerOptions { Port = port }, new BpfSettings { ForcedMethod = method });
        using var server = ListenerProcess.Serve(port);
        using var ghost = ListenerProcess.Ghost(port, goFile);
        var seen = Clients.ResetByExitOf(ghost, port, goFile);
        var findings = trace.Stop();

        Assert.True(seen > 0, "no client landed on the ghost's listener");
        var finding = Assert.IsType<ListenerResetFinding>(Assert.Single(findings, f => f.Kind == FindingKind.ListenerReset));
        Assert.Equal(ghost.Pid, finding.Listener.Pid);
        Assert.Equal(seen, finding.ResetConnections);
        Assert.Equal(0, finding.SynQueueResets);
        Assert.Equal(0, finding.Accepted);
        Assert.True(finding.Ghost);
        Assert.Equal(server.Pid, Assert.Single(finding.Members).Pid);
        Assert.Equal(AddressFamily.InterNetworkV6, finding.Listener.Family);
    }

    [KernelFact]
    public void AttachToThePortMentionsTheGhostThatTracerRunRecorded()
    {
        var port = Clients.FreePort();
        var dataDir = Directory.CreateTempSubdirectory("tracer-recent-resets-");
        try
        {
            using var server = ListenerProcess.Serve(port);
            using (var run = new RunTracerProcess(null, "run", "--data-dir", dataDir.FullName, "--no-slab", "--duration", "60"))
            {
                using var ghost = ListenerProcess.Ghost(port, goFile);
                Assert.True(Clients.ResetByExitOf(ghost, port, goFile) > 0, "no client landed on the ghost's listener");
                var logs = Path.Combine(dataDir.FullName, "logs.jsonl");
                Assert.True(OtlpPeer.WaitUntil(() => File.Exists(logs) && File.ReadAllText(logs).Contains("tcp.listener_reset", StringComparison.Ordinal), TimeSpan.FromSeconds(20)),
                    $"tracer run recorded no listener reset: {run.Stderr}");
            }

            var attach = TracerProcess.Run("attach", "--port", port.ToString(CultureInfo.InvariantCulture), "--records", dataDir.FullName, "--timeout", "0");
            output.WriteLine(attach.Stdout + attach.Stderr);
            Assert.Equal(0, attach.ExitCode);
            var lines = attach.Stdout.Split('\n');
            var heading = Array.FindIndex(lines, l => l.StartsWith($"recent listener resets on port {port} (tracer run's records in {dataDir.FullName}, last 1h", StringComparison.Ordinal));
            Assert.True(heading >= 0, "no recent listener resets in attach's report");
            Assert.Matches($@"^  \d\d:\d\d:\d\d\.\d{{3}}Z  RST × \d+ on \[::\]:{port}: the kernel reset \d+ connections? queued on a listener of ", lines[heading + 1]);

            var json = TracerProcess.Run("attach", "--port", port.ToString(CultureInfo.InvariantCulture), "--records", dataDir.FullName, "--timeout", "0", "--json");
            var recent = json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
                .Single(r => r.GetProperty("kind").GetString() == "attach.recent_listener_reset");
            Assert.Equal(port, recent.GetProperty("port").GetInt32());
            Assert.Contains("ghost listener", recent.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            dataDir.Delete(recursive: true);
        }
    }

    [KernelFact]
    public void AListenerThatAcceptedSomeBeforeClosingWithAQueueIsCountedAndNotCalledAGhost()
    {
        var port = Clients.FreePort();
        using var trace = new ResetTrace(output, new ResetAnalyzerOptions { Port = port });
        using var server = ListenerProcess.Serve(port);
        using var listener = ListenerProcess.Ghost(port, goFile, accept: 2);
        var seen = Clients.ResetByExitOf(listener, port, goFile);
        var findings = trace.Stop();

        Assert.True(seen > 0, "no client was left queued on the closing listener");
        var finding = Assert.IsType<ListenerResetFinding>(Assert.Single(findings, f => f.Kind == FindingKind.ListenerReset));
        Assert.Equal(listener.Pid, finding.Listener.Pid);
        Assert.Equal(seen, finding.ResetConnections);
        Assert.Equal(2, finding.Accepted);
        Assert.False(finding.Ghost);
        Assert.Contains(" after accepting 2 others", finding.Message, StringComparison.Ordinal);
    }

    [KernelFact]
    public void SynQueueStragglersAnsweredByTheServersListenerAreAttributedToTheGhost()
    {
        var port = Clients.FreePort();
        using var trace = new ResetTrace(output, new ResetAnalyzerOptions { Port = port });
        using var server = ListenerProcess.Serve(port);
        // TCP_DEFER_ACCEPT: handshakes without data stay in the ghost's SYN queue
        using var ghost = ListenerProcess.Ghost(port, goFile, deferAccept: true);
        var seen = Clients.ResetByExitOf(ghost, port, goFile, send: true);
        var findings = trace.Stop();

        Assert.True(seen > 0, "no client landed on the ghost's listener");
        var finding = Assert.IsType<ListenerResetFinding>(Assert.Single(findings, f => f.Kind == FindingKind.ListenerReset));
        Assert.Equal(ghost.Pid, finding.Listener.Pid);
        Assert.Equal(seen, finding.SynQueueResets);
        Assert.Equal(server.Pid, Assert.Single(finding.AnsweredBy).Pid);
        Assert.True(finding.Ghost);
        // the server's own listener sent them, but none is counted as an ordinary reset
        Assert.DoesNotContain(findings, f => f is ResetsFinding r && r.Reason == RstReason.TcpFlags);
    }

    [KernelFact]
    public void OrdinaryResetsAreCountedByReasonAndNeverCalledAGhost()
    {
        var closedPort = Clients.FreePort();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = (ushort)((IPEndPoint)listener.LocalEndpoint).Port;
        using var trace = new ResetTrace(output);

        // nothing listens: the kernel answers the SYN with a RST
        using (var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            Assert.Throws<SocketException>(() => refused.Connect(IPAddress.Loopback, closedPort));
        }

        // an application abort: SO_LINGER 0 then close (__tcp_close() → tcp_disconnect(): TCP_STATE on Linux 6.18)
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(IPAddress.Loopback, port);
        using (var accepted = listener.AcceptSocket())
        {
            accepted.LingerState = new LingerOption(true, 0);
        }

        Thread.Sleep(200);
        var findings = trace.Stop();

        Assert.DoesNotContain(findings, f => f.Kind == FindingKind.ListenerReset);
        var counts = findings.OfType<ResetsFinding>().ToList();
        counts.ForEach(c => output.WriteLine(c.Message));
        Assert.Contains(counts, r => r.Port == closedPort && r.Reason == RstReason.NoSocket && r.Count == 1);
        Assert.Contains(counts, r => r.Port == port && r.Reason == RstReason.TcpState && r.Count == 1);
    }

    [KernelFact]
    public void WithMigrationOnInAPrivateNamespaceTheQueueMovesToTheServerAndNothingIsReported()
    {
        var ns = $"tracer-rst-{Environment.ProcessId}";
        Run("ip", "netns", "add", ns);
        try
        {
            Run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
            Run("ip", "netns", "exec", ns, "sysctl", "-q", "net.ipv4.tcp_migrate_req=1");
            string[] inNs = ["ip", "netns", "exec", ns];
            const ushort port = 18080;
            using var trace = new ResetTrace(output, new ResetAnalyzerOptions { Port = port });
            using var server = ListenerProcess.Serve(port, inNs);
            using var ghost = ListenerProcess.Ghost(port, goFile, wrapper: inNs);
            Run("ip", "netns", "exec", ns, "/usr/bin/python3", "-c",
                $"import socket,time,os\ncs=[socket.create_connection(('127.0.0.1',{port})) for _ in range(24)]\ntime.sleep(0.3)\nopen('{goFile}','w').close()\ntime.sleep(1)\nfor c in cs:\n  c.settimeout(2)\n  try: c.recv(1)\n  except ConnectionResetError: raise SystemExit('reset')");
            Assert.True(ghost.WaitExited(), "the ghost did not exit");
            var findings = trace.Stop();

            Assert.DoesNotContain(findings, f => f.Kind == FindingKind.ListenerReset);
        }
        finally
        {
            Run("ip", "netns", "del", ns);
        }
    }

    [KernelFact]
    public void NginxWithReuseportIsNamedAsTheGroupAGhostJoinedByTheResetsCommand()
    {
        var port = Clients.FreePort();
        var dir = Directory.CreateTempSubdirectory("tracer-nginx-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "nginx.conf"), string.Create(CultureInfo.InvariantCulture, $$"""
                daemon off;
                worker_processes 1;
                pid {{dir.FullName}}/nginx.pid;
                error_log {{dir.FullName}}/error.log;
                events { worker_connections 64; }
                http {
                    access_log off;
                    client_body_temp_path {{dir.FullName}};
                    server { listen [::]:{{port}} reuseport ipv6only=off; return 204; }
                }
                """));
            using var nginx = Process.Start(new ProcessStartInfo("/usr/sbin/nginx", ["-p", dir.FullName, "-c", Path.Combine(dir.FullName, "nginx.conf")]))!;
            try
            {
                WaitListening(port);
                using var tracer = Process.Start(new ProcessStartInfo(TracerProcess.Binary, ["resets", "--json", "--port", port.ToString(CultureInfo.InvariantCulture), "--duration", "6"])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                })!;
                Thread.Sleep(2500); // load, attach, the listener iterator
                using var ghost = ListenerProcess.Ghost(port, goFile);
                var seen = Clients.ResetByExitOf(ghost, port, goFile);
                var stdout = tracer.StandardOutput.ReadToEnd();
                tracer.WaitForExit();
                output.WriteLine(tracer.StandardError.ReadToEnd());
                output.WriteLine(stdout);

                Assert.Equal(0, tracer.ExitCode);
                Assert.True(seen > 0, "no client landed on the ghost's listener");
                var finding = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
                    .Single(j => j.GetProperty("kind").GetString() == "tcp.listener_reset");
                Assert.Equal(ghost.Pid, finding.GetProperty("pid").GetInt32());
                Assert.Equal(seen, finding.GetProperty("reset_connections").GetInt32());
                Assert.True(finding.GetProperty("ghost").GetBoolean());
                var members = finding.GetProperty("reuseport_group").EnumerateArray().Select(m => m.GetString()!).ToList();
                Assert.Contains(members, m => m.EndsWith("/nginx", StringComparison.Ordinal));
            }
            finally
            {
                nginx.Kill(entireProcessTree: true);
                nginx.WaitForExit();
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    public void Dispose() => File.Delete(goFile);

    private static void WaitListening(ushort port)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }

        throw new TimeoutException($"nginx did not listen on {port}");
    }

    private void Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {stderr}");
        output.WriteLine($"{file} {string.Join(' ', args)}");
    }
}
