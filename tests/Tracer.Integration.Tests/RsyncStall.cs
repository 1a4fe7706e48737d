using System.Diagnostics;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary>
/// Debian's rsync as a daemon on 127.0.0.1:873 serving a file of several hundred MB,
/// and a client pulling it that is stopped with SIGSTOP mid-transfer: the daemon's
/// sender then has unsent data, a zero send window and its persist timer firing.
/// Every process is ended by pid and the temporary directory removed on dispose.
/// </summary>
public sealed class RsyncStall : IDisposable
{
    public const int Port = 873;
    private const long FileBytes = 800L << 20;

    private readonly ITestOutputHelper output;
    private readonly string directory;
    private readonly Process daemon;
    private Process? client;
    private List<int> clientPids = [];

    private RsyncStall(ITestOutputHelper output)
    {
        this.output = output;
        directory = Directory.CreateTempSubdirectory("tracer-rsync-").FullName;
        var module = Directory.CreateDirectory(Path.Combine(directory, "module")).FullName;
        Directory.CreateDirectory(Path.Combine(directory, "dest"));
        using (var file = File.Create(Path.Combine(module, "big.bin")))
        {
            file.SetLength(FileBytes); // sparse: rsync reads zeros as fast as the socket takes them
        }

        var config = Path.Combine(directory, "rsyncd.conf");
        File.WriteAllText(config, $"use chroot = no\nuid = root\ngid = root\nlog file = {directory}/rsyncd.log\n[mod]\n  path = {module}\n  read only = yes\n");
        daemon = TestProcesses.Start("rsync", "--daemon", "--no-detach", $"--config={config}", "--address=127.0.0.1", $"--port={Port}");
    }

    public int DaemonPid => daemon.Id;

    /// <summary>The daemon's child serving the stopped client: the rsync sender, owner of the zero-window socket.</summary>
    public int SenderPid { get; private set; }

    /// <summary>Starts the daemon, pulls the file and stops the client once data flows; returns when the sender is at zero window.</summary>
    public static RsyncStall Start(ITestOutputHelper output)
    {
        var stall = new RsyncStall(output);
        try
        {
            TestProcesses.WaitForListener(Port, stall.daemon);
            stall.PullAndStop();
            return stall;
        }
        catch
        {
            stall.Dispose();
            throw;
        }
    }

    /// <summary>SIGCONT to the client: it reads again and the sender's window reopens.</summary>
    public void Resume() => clientPids.ForEach(pid => Signals.Send(pid, Signals.SigCont));

    public void Dispose()
    {
        foreach (var pid in clientPids)
        {
            Signals.Send(pid, Signals.SigCont);
            Signals.Send(pid, Signals.SigKill);
        }

        client?.WaitForExit(5000);
        client?.Dispose();
        Signals.Send(daemon.Id, Signals.SigTerm);
        if (!daemon.WaitForExit(5000))
        {
            Signals.Send(daemon.Id, Signals.SigKill);
            daemon.WaitForExit(5000);
        }

        foreach (var child in TestProcesses.ChildrenOf(daemon.Id))
        {
            Signals.Send(child, Signals.SigKill);
        }

        daemon.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private void PullAndStop()
    {
        var dest = Path.Combine(directory, "dest");
        client = TestProcesses.Start("rsync", "-a", $"rsync://127.0.0.1:{Port}/mod/big.bin", dest + "/");
        var deadline = Stopwatch.StartNew();
        while (Directory.GetFiles(dest).Select(f => new FileInfo(f).Length).DefaultIfEmpty(0).Max() < 16 << 20)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30) || client.HasExited)
            {
                throw new InvalidOperationException("the rsync pull did not start moving data");
            }

            Thread.Sleep(5);
        }

        // the client forks a receiver; both hold the socket, both stop reading
        clientPids = [client.Id, .. TestProcesses.ChildrenOf(client.Id)];
        clientPids.ForEach(pid => Signals.Send(pid, Signals.SigStop));
        output.WriteLine($"rsync daemon {daemon.Id}, client {string.Join(",", clientPids)} stopped after {deadline.ElapsedMilliseconds} ms");

        // the daemon's readiness probe child is gone by now; the one left serves the client
        while (TestProcesses.ChildrenOf(daemon.Id).Count != 1 && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(20);
        }

        SenderPid = Assert.Single(TestProcesses.ChildrenOf(daemon.Id));

        // the receive buffer fills, the window closes and the first persist probes go out
        Thread.Sleep(1500);
    }
}
