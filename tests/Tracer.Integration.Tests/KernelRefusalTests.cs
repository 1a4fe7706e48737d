using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary>
/// Feature probes that really fail: a seccomp filter makes the kernel refuse one bpf(2) command
/// to tracer with EPERM. Where another attach method exists tracer takes it (and doctor says so);
/// where none does, one line names the operation and errno, exit 1.
/// </summary>
public sealed class KernelRefusalTests(ITestOutputHelper output)
{
    // bpf(2) commands from linux/bpf.h
    private const int BpfMapCreate = 0;
    private const int BpfProgLoad = 5;
    private const int BpfLinkCreate = 28;

    [KernelFact]
    public void RefusedLinkCreateFallsBackToRawTracepointsAndDoctorSaysSo()
    {
        var result = TracerProcess.Run(TimeSpan.FromSeconds(60), BpfRefusal.Of(BpfLinkCreate), "doctor", "--json");
        output.WriteLine(result.Stdout + result.Stderr);
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        var hooks = doc.RootElement.GetProperty("hooks").EnumerateArray().ToDictionary(h => h.GetProperty("hook").GetString()!);
        var ack = hooks["tcp ack path"];
        Assert.Equal("raw_tp/tcp_probe", ack.GetProperty("chosen").GetString());
        Assert.Contains(ack.GetProperty("refused").EnumerateArray(), r =>
            r.GetProperty("method").GetString() == "tp_btf/tcp_probe" && r.GetProperty("reason").GetString() == "EPERM on attach");
        Assert.Equal("raw_tp/sock_send_length", hooks["socket owner (sendmsg)"].GetProperty("chosen").GetString());
        Assert.Equal("raw_tp/kmem_cache_alloc", hooks["slab alloc (kmem_cache_alloc)"].GetProperty("chosen").GetString());
        Assert.Equal("raw_tp/inet_sock_set_state", hooks["listener state (inet_sock_set_state)"].GetProperty("chosen").GetString());
        Assert.Equal("raw_tp/tcp_send_reset", hooks["RST sent (tcp_send_reset)"].GetProperty("chosen").GetString());
        Assert.Equal("raw_tp/tcp_destroy_sock", hooks["listener destroy (tcp_destroy_sock)"].GetProperty("chosen").GetString());
        // iterators have no other way to attach: doctor names the refusal instead of blaming the kernel's age
        Assert.Equal("refused (bpf_program__attach: EPERM)", doc.RootElement.GetProperty("tcp_snapshot").GetString());
        Assert.Equal("/proc (iter/task_file refused: bpf_program__attach: EPERM)", doc.RootElement.GetProperty("data_path_fds").GetString());
    }

    [KernelFact]
    public void RefusedLinkCreateStillTracesThroughTheFallback()
    {
        using var loopback = new Loopback();
        var port = loopback.Port.ToString(CultureInfo.InvariantCulture);
        var tracer = Task.Run(() => TracerProcess.Run(TimeSpan.FromSeconds(60), BpfRefusal.Of(BpfLinkCreate),
            "tcp", "--json", "--every-segment", "--port", port, "--duration", "5"));
        Thread.Sleep(TimeSpan.FromSeconds(2.5)); // attached by then: the samples below prove it
        var (client, server) = loopback.Connect();
        Loopback.Transfer(client, server, 1 << 20);
        var result = tracer.Result;
        output.WriteLine($"exit {result.ExitCode}\n{result.Stderr}");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains(result.Stdout.Split('\n'), l => l.Contains("\"tcp.sample\"", StringComparison.Ordinal) && l.Contains($"\"dport\":{port}", StringComparison.Ordinal));
    }

    [KernelFact]
    public void RefusedIteratorAttachIsOneSentence()
    {
        var result = TracerProcess.Run(TimeSpan.FromSeconds(60), BpfRefusal.Of(BpfLinkCreate), "attach", "--port", "1", "--timeout", "0");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("tracer: bpf_program__attach (snapshot_tcp → iter/tcp): EPERM (Operation not permitted)\n", result.Stderr);
        Assert.Empty(result.Stdout);
    }

    [KernelTheory]
    [InlineData(BpfProgLoad, "tcp")]
    [InlineData(BpfProgLoad, "run")]
    [InlineData(BpfMapCreate, "tcp")]
    public void NoWayToAttachIsOneSentenceNamingEachRefusal(int command, string tracerCommand)
    {
        var dataDir = Directory.CreateTempSubdirectory("tracer-refusal-");
        string[] args = tracerCommand == "run" ? ["run", "--data-dir", dataDir.FullName, "--duration", "2"] : [tracerCommand, "--duration", "2"];
        var result = TracerProcess.Run(TimeSpan.FromSeconds(60), BpfRefusal.Of(command), args);
        output.WriteLine(result.Stderr);
        dataDir.Delete(recursive: true);
        Assert.Equal(1, result.ExitCode);
        var last = result.Stderr.TrimEnd('\n').Split('\n')[^1];
        Assert.StartsWith("tracer: tcp ack path: no way to attach on this kernel (fentry/tcp_ack: EPERM on load; ", last, StringComparison.Ordinal);
        Assert.EndsWith("tracepoint/tcp/tcp_probe: EPERM on load)", last, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [KernelFact]
    public void RefusedMapCreateMakesDoctorReportThePerfBufferFallback()
    {
        var result = TracerProcess.Run(TimeSpan.FromSeconds(60), BpfRefusal.Of(BpfMapCreate), "doctor");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("ring buffer:   no (Linux 5.8+); transport: perfbuf", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("tcp ack path: unavailable (", result.Stdout, StringComparison.Ordinal);
    }
}

/// <summary>
/// A wrapper for <see cref="TracerProcess.Run(TimeSpan, string[], string[])"/>: installs a seccomp
/// filter that fails one bpf(2) command with EPERM, then execs tracer. Perl is in every Debian
/// (perl-base is essential); the filter is classic BPF over seccomp_data (x86-64).
/// </summary>
public static class BpfRefusal
{
    private const string Script = """
        my ($cmd, @exec) = @ARGV;
        # ld arch; not x86-64: allow. ld nr; not bpf (321): allow. ld args[0]; == cmd: EPERM. allow
        my @filter = ([0x20, 0, 0, 4], [0x15, 0, 5, 0xc000003e], [0x20, 0, 0, 0], [0x15, 0, 3, 321],
                      [0x20, 0, 0, 16], [0x15, 0, 1, $cmd], [0x06, 0, 0, 0x00050001], [0x06, 0, 0, 0x7fff0000]);
        my $code = join '', map { pack 'SCCL', @$_ } @filter;
        my $fprog = pack 'Sx6P', scalar(@filter), $code;
        syscall(157, 38, 1, 0, 0, 0) == 0 or die "prctl(PR_SET_NO_NEW_PRIVS): $!";
        syscall(317, 1, 0, $fprog) == 0 or die "seccomp(SECCOMP_SET_MODE_FILTER): $!";
        exec @exec or die "exec $exec[0]: $!";
        """;

    public static string[] Of(int bpfCommand) => ["perl", "-e", Script, bpfCommand.ToString(CultureInfo.InvariantCulture)];
}
