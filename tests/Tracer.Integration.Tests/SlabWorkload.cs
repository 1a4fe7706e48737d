using System.Diagnostics;

namespace Tracer.Integration.Tests;

/// <summary>
/// A separate process with its own command name that creates UNIX sockets through
/// socket(2): <c>hold</c> keeps N of them until told to close, <c>grow</c> adds 400 a second
/// and keeps them (a steady leak) until it holds N, <c>churn</c> creates and closes them in a loop for N seconds. Perl is in every Debian (perl-base is essential).
/// </summary>
public sealed class SlabWorkload : IDisposable
{
    private const string Script = """
        use Socket;
        my ($comm, $mode, $n) = @ARGV;
        open(my $c, '>', '/proc/self/comm') or die "comm: $!"; print $c $comm; close $c;
        $| = 1;
        if ($mode eq 'hold') {
            my @held;
            for (1 .. $n) { socket(my $fh, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!"; push @held, $fh; }
            print "ready\n";
            <STDIN>;
            close($_) for @held;
            @held = ();
            print "closed\n";
            <STDIN>;
        } elsif ($mode eq 'grow') {
            my @held;
            print "ready\n";
            while (@held < $n) {
                for (1 .. 40) { socket(my $fh, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!"; push @held, $fh; }
                select(undef, undef, undef, 0.1);
            }
            print "full\n";
            <STDIN>;
        } else {
            my ($end, $count) = (time + $n, 0);
            print "ready\n";
            while (time < $end) { for (1 .. 500) { socket(my $fh, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!"; close $fh; $count++; } }
            print "done $count\n";
        }
        """;

    private readonly Process process;

    private SlabWorkload(string comm, string mode, int n)
    {
        var start = new ProcessStartInfo("sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // as many descriptors as the hard limit allows (it may not be raised here): see MaxHeld
        foreach (var a in new[] { "-c", "ulimit -n $(ulimit -Hn) && exec perl -e \"$0\" \"$@\"", Script, comm, mode, n.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(a);
        }

        process = Process.Start(start)!;
        Comm = comm;
        Expect("ready");
    }

    public string Comm { get; }

    public int Pid => process.Id;

    /// <summary>Sockets one workload process may hold: the descriptor hard limit, less some room.</summary>
    public static int MaxHeld { get; } = HardDescriptorLimit() - 64;

    public static SlabWorkload Hold(string comm, int sockets) =>
        sockets <= MaxHeld ? new(comm, "hold", sockets) : throw new ArgumentOutOfRangeException(nameof(sockets), $"at most {MaxHeld} per process");

    public static SlabWorkload Grow(string comm, int sockets) =>
        sockets <= MaxHeld ? new(comm, "grow", sockets) : throw new ArgumentOutOfRangeException(nameof(sockets), $"at most {MaxHeld} per process");

    public static SlabWorkload Churn(string comm, int seconds) => new(comm, "churn", seconds);

    /// <summary>Closes every held socket and waits until the workload says so.</summary>
    public void CloseSockets()
    {
        process.StandardInput.WriteLine();
        Expect("closed");
    }

    /// <summary>Waits for a churn to end; returns how many sockets it created.</summary>
    public long WaitChurn()
    {
        var line = Expect("done");
        return long.Parse(line["done ".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit();
        }

        process.Dispose();
    }

    private static int HardDescriptorLimit()
    {
        foreach (var line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return fields[4] == "unlimited" ? 1 << 20 : int.Parse(fields[4], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 1024;
    }

    private string Expect(string prefix)
    {
        var line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(60)) || line.Result is not { } text || !text.StartsWith(prefix, StringComparison.Ordinal))
        {
            var stderr = process.HasExited ? process.StandardError.ReadToEnd() : "";
            throw new InvalidOperationException($"slab workload {Comm}: expected '{prefix}', got '{(line.IsCompleted ? line.Result : "nothing")}' {stderr}");
        }

        return text;
    }
}
