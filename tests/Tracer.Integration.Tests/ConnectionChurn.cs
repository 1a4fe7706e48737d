using System.Diagnostics;
using System.Globalization;

namespace Tracer.Integration.Tests;

/// <summary>
/// Short-lived processes, each opening one loopback TCP connection, sending a little, reading the
/// answer and exiting: a perl listener (its own command name) forks one client per connection, as
/// fast as the machine allows, for the given seconds after <see cref="Go"/>.
/// </summary>
public sealed class ConnectionChurn : IDisposable
{
    private const string Script = """
        use Socket;
        my ($comm, $seconds, $bytes) = @ARGV;
        open(my $c, '>', '/proc/self/comm') or die "comm: $!"; print $c $comm; close $c;
        $| = 1;
        $SIG{CHLD} = 'IGNORE';
        socket(my $listener, AF_INET, SOCK_STREAM, 0) or die "socket: $!";
        bind($listener, sockaddr_in(0, INADDR_LOOPBACK)) or die "bind: $!";
        listen($listener, 128) or die "listen: $!";
        my ($port) = sockaddr_in(getsockname($listener));
        my $payload = 'x' x $bytes;
        print "port $port\n";
        <STDIN>;
        my ($end, $count) = (time + $seconds, 0);
        while (time < $end) {
            my $pid = fork() // die "fork: $!";
            if ($pid == 0) {
                close $listener;
                socket(my $s, AF_INET, SOCK_STREAM, 0) or die "socket: $!";
                connect($s, sockaddr_in($port, INADDR_LOOPBACK)) or die "connect: $!";
                syswrite($s, $payload);
                shutdown($s, 1);
                my $buf;
                while (sysread($s, $buf, 65536)) {}
                exit 0;
            }
            accept(my $conn, $listener) or die "accept: $!";
            my ($buf, $got) = ('', 0);
            while ($got < $bytes) { my $n = sysread($conn, $buf, 65536) or last; $got += $n; }
            syswrite($conn, $payload);
            close $conn;
            $count++;
        }
        print "done $count\n";
        """;

    private readonly Process process;

    public ConnectionChurn(string comm, int seconds, int bytes = 4096)
    {
        var start = new ProcessStartInfo("perl") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-e", Script, comm, seconds.ToString(CultureInfo.InvariantCulture), bytes.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(a);
        }

        process = Process.Start(start)!;
        Comm = comm;
        Port = ushort.Parse(Expect("port ")["port ".Length..], CultureInfo.InvariantCulture);
    }

    public string Comm { get; }

    public ushort Port { get; }

    public int Pid => process.Id;

    public void Go() => process.StandardInput.WriteLine();

    /// <summary>Waits for the churn to end; returns how many connections (and processes) it made.</summary>
    public int WaitDone() => int.Parse(Expect("done ")["done ".Length..], CultureInfo.InvariantCulture);

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit();
        }

        process.Dispose();
    }

    private string Expect(string prefix)
    {
        var line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(60)) || line.Result is not { } text || !text.StartsWith(prefix, StringComparison.Ordinal))
        {
            var stderr = process.HasExited ? process.StandardError.ReadToEnd() : "";
            throw new InvalidOperationException($"connection churn: expected '{prefix}', got '{(line.IsCompleted ? line.Result : "nothing")}' {stderr}");
        }

        return text;
    }
}
