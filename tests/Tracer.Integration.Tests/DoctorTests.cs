using System.Text.Json;

namespace Tracer.Integration.Tests;

/// <summary>
/// <c>tracer doctor</c> on this machine kind must say what ../shared/ARCHITECTURE.md measured:
/// BTF present, ring buffer yes, fentry refused with EPERM on load, kprobes absent, tp_btf chosen.
/// </summary>
public sealed class DoctorTests
{
    [KernelFact]
    public void TextReportTellsTheTruthAboutThisKernel()
    {
        var result = TracerProcess.Run("doctor");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains($"kernel:        {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}", result.Stdout);
        Assert.Contains("BTF:           /sys/kernel/btf/vmlinux (kernel)", result.Stdout);
        Assert.Contains("ring buffer:   yes; transport: ringbuf", result.Stdout);
        Assert.Contains("kprobes:       no (CONFIG_KPROBES off)", result.Stdout);
        Assert.Contains("tcp ack path: tp_btf/tcp_probe (fentry/tcp_ack: EPERM on load; kprobe/tcp_ack: kernel has no kprobes)", result.Stdout);
        Assert.Contains("socket owner (sendmsg): tp_btf/sock_send_length", result.Stdout);
        Assert.Contains("socket owner (recvmsg): tp_btf/sock_recv_length", result.Stdout);
        Assert.Contains("tcp snapshot:  iter/tcp (tracer attach)", result.Stdout);
        Assert.Contains("data path fds: iter/task_file (tracer attach)", result.Stdout);
        Assert.Contains("listener state (inet_sock_set_state): tp_btf/inet_sock_set_state", result.Stdout);
        Assert.Contains("RST sent (tcp_send_reset): tp_btf/tcp_send_reset", result.Stdout);
        Assert.Contains("listener destroy (tcp_destroy_sock): tp_btf/tcp_destroy_sock", result.Stdout);
        Assert.Contains("listen() return (group membership): tracepoint/syscalls/sys_exit_listen", result.Stdout);
        Assert.Contains("accept4() return: tracepoint/syscalls/sys_exit_accept4", result.Stdout);
        Assert.Contains("slab alloc (kmem_cache_alloc): tp_btf/kmem_cache_alloc", result.Stdout);
    }

    [KernelFact]
    public void JsonReportIsOneObjectWithEveryHook()
    {
        var result = TracerProcess.Run("doctor", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("ring_buffer").GetBoolean());
        Assert.False(root.GetProperty("kprobes").GetBoolean());
        var ack = root.GetProperty("hooks").EnumerateArray().Single(h => h.GetProperty("hook").GetString() == "tcp ack path");
        Assert.Equal("tp_btf/tcp_probe", ack.GetProperty("chosen").GetString());
        var refused = ack.GetProperty("refused").EnumerateArray().ToDictionary(r => r.GetProperty("method").GetString()!, r => r.GetProperty("reason").GetString());
        Assert.Equal("EPERM on load", refused["fentry/tcp_ack"]);
        Assert.Equal("kernel has no kprobes", refused["kprobe/tcp_ack"]);
    }

    [KernelFact]
    public void ForcedClassicTracepointMountsTracefsWhenAbsent()
    {
        // a private mount namespace: unmounting tracefs here leaves the machine's mounts alone
        var result = TracerProcess.Run(TimeSpan.FromSeconds(60),
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", "umount /sys/kernel/tracing 2>/dev/null; exec \"$0\" \"$@\""],
            "doctor", "--attach", "tracepoint");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("tcp ack path: tracepoint/tcp/tcp_probe", result.Stdout);
        Assert.Contains("listener state (inet_sock_set_state): tracepoint/sock/inet_sock_set_state", result.Stdout);
        Assert.Contains("RST sent (tcp_send_reset): tracepoint/tcp/tcp_send_reset", result.Stdout);
        Assert.Contains("listener destroy (tcp_destroy_sock): tracepoint/tcp/tcp_destroy_sock", result.Stdout);
        Assert.Contains("(mounted by tracer for classic tracepoints)", result.Stdout);
    }

    [KernelFact]
    public void ExternalBtfFileIsUsed()
    {
        var copy = Path.Combine(Path.GetTempPath(), $"tracer-vmlinux-{Environment.ProcessId}.btf");
        File.Copy("/sys/kernel/btf/vmlinux", copy, overwrite: true);
        try
        {
            var result = TracerProcess.Run("doctor", "--btf", copy);
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Contains($"BTF:           {copy} (--btf)", result.Stdout);
            Assert.Contains("tcp ack path: tp_btf/tcp_probe", result.Stdout);
        }
        finally
        {
            File.Delete(copy);
        }
    }

    [KernelFact]
    public void MissingKernelBtfNamesTheFileAndTheOption()
    {
        var result = TracerProcess.Run(TimeSpan.FromSeconds(60),
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", "mount -t tmpfs none /sys/kernel/btf && exec \"$0\" \"$@\""],
            "doctor");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("tracer: this kernel has no BTF at /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF): pass --btf FILE with the kernel's BTF\n", result.Stderr);
    }
}
