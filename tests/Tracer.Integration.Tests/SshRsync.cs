using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary>
/// Debian's sshd on a free localhost port with a throwaway host key and authorized key in a
/// temporary directory (never the system's sshd), and rsync over it pushing or pulling a sparse
/// 2 GB file. Processes are ended by pid and the directory removed on dispose.
/// </summary>
public sealed class SshRsync : IDisposable
{
    private const long FileBytes = 2L << 30;

    private readonly ITestOutputHelper output;
    private readonly string directory;
    private readonly Process sshd;
    private Process? client;

    private SshRsync(ITestOutputHelper output)
    {
        this.output = output;
        directory = Directory.CreateTempSubdirectory("tracer-ssh-").FullName;
        Port = FreePort();
        Keygen("host_key");
        Keygen("user_key");
        File.Copy(Path.Combine(directory, "user_key.pub"), Path.Combine(directory, "authorized_keys"));
        var config = Path.Combine(directory, "sshd_config");
        File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture,
            $"Port {Port}\nListenAddress 127.0.0.1\nHostKey {directory}/host_key\nAuthorizedKeysFile {directory}/authorized_keys\nPidFile {directory}/sshd.pid\n")
            + ("PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"));
        Directory.CreateDirectory("/run/sshd"); // sshd's privilege separation directory must exist
        // exec'd with its log in a file: a pipe to the test host would put the test host on the path
        sshd = TestProcesses.Start("/bin/sh", "-c", $"exec /usr/sbin/sshd -D -f {config} -e </dev/null >/dev/null 2>>{directory}/sshd.log");
        Directory.CreateDirectory(Path.Combine(directory, "src"));
        Directory.CreateDirectory(Path.Combine(directory, "dest"));
        using var file = File.Create(Path.Combine(directory, "src", "big.bin"));
        file.SetLength(FileBytes); // sparse: rsync reads zeros as fast as the path takes them
    }

    public int Port { get; }

    /// <summary>The rsync we started, and its children named rsync (a pull forks a receiver).</summary>
    public List<int> LocalRsync => [client!.Id, .. Descendants(client.Id).Where(p => Comm(p) == "rsync")];

    public List<int> Ssh => Descendants(client!.Id).Where(p => Comm(p) == "ssh").ToList();

    /// <summary>sshd's process serving the session: the one whose children run the command.</summary>
    public List<int> SshdSession => Descendants(sshd.Id).Where(p => Comm(p) == "sshd" && TestProcesses.ChildrenOf(p).Count > 0 && TestProcesses.ChildrenOf(p).All(c => Comm(c) != "sshd")).ToList();

    public List<int> RemoteRsync => Descendants(sshd.Id).Where(p => Comm(p) == "rsync").ToList();

    /// <summary>Starts sshd and the transfer; returns once the destination grows.</summary>
    public static SshRsync Start(ITestOutputHelper output, bool push)
    {
        var transfer = new SshRsync(output);
        try
        {
            TestProcesses.WaitForListener(transfer.Port, transfer.sshd);
            transfer.Transfer(push);
            return transfer;
        }
        catch
        {
            transfer.Dispose();
            throw;
        }
    }

    public List<int> Role(string role) => role switch
    {
        "local rsync" => LocalRsync,
        "ssh" => Ssh,
        "sshd session" => SshdSession,
        _ => RemoteRsync,
    };

    public void Dispose()
    {
        if (client is not null)
        {
            var all = new[] { client.Id }.Concat(Descendants(client.Id)).ToList();
            all.ForEach(p => Signals.Send(p, Signals.SigCont));
            all.ForEach(p => Signals.Send(p, Signals.SigKill));
            client.WaitForExit(5000);
            client.Dispose();
        }

        var sessions = Descendants(sshd.Id);
        sessions.ForEach(p => Signals.Send(p, Signals.SigCont));
        Signals.Send(sshd.Id, Signals.SigTerm);
        sessions.ForEach(p => Signals.Send(p, Signals.SigKill));
        if (!sshd.WaitForExit(5000))
        {
            Signals.Send(sshd.Id, Signals.SigKill);
            sshd.WaitForExit(5000);
        }

        // a session's rsync orphaned by the kill above still names the directory on its command line
        foreach (var pid in Holding(directory))
        {
            Signals.Send(pid, Signals.SigKill);
        }

        sshd.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private void Transfer(bool push)
    {
        var ssh = $"ssh -F /dev/null -p {Port} -i {directory}/user_key -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR";
        var (from, to) = push
            ? ($"{directory}/src/big.bin", $"root@127.0.0.1:{directory}/dest/")
            : ($"root@127.0.0.1:{directory}/src/big.bin", $"{directory}/dest/");

        // stdio away from the test host: the path must hold only the transfer's processes
        client = TestProcesses.Start("/bin/sh", "-c", $"exec rsync -e '{ssh}' {from} {to} </dev/null >/dev/null 2>>{directory}/rsync.log");
        var dest = Path.Combine(directory, "dest");
        var clock = Stopwatch.StartNew();
        while (Directory.GetFiles(dest).Select(f => new FileInfo(f).Length).DefaultIfEmpty(0).Max() < 32 << 20)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30) || client.HasExited)
            {
                throw new InvalidOperationException($"rsync over ssh did not start moving data: {File.ReadAllText(Path.Combine(directory, "rsync.log"))}");
            }

            Thread.Sleep(5);
        }

        output.WriteLine($"sshd {sshd.Id} on port {Port}; rsync {(push ? "push" : "pull")} moving after {clock.ElapsedMilliseconds} ms");
    }

    private void Keygen(string name) =>
        TestProcesses.Start("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(directory, name)).WaitForExit();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? Comm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n');
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static List<int> Holding(string path)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) &&
                    File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(path, StringComparison.Ordinal))
                {
                    pids.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // exited while we looked
            }
        }

        return pids;
    }

    private static List<int> Descendants(int root)
    {
        var all = new List<int>();
        for (var level = TestProcesses.ChildrenOf(root); level.Count > 0; level = level.SelectMany(TestProcesses.ChildrenOf).ToList())
        {
            all.AddRange(level);
        }

        return all;
    }
}
