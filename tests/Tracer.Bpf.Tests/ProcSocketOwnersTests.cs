using Tracer.Bpf.Owners;
using Tracer.Integration.Tests;

namespace Tracer.Bpf.Tests;

/// <summary>Attribution from /proc for sockets the process-context hooks have not seen.</summary>
public sealed class ProcSocketOwnersTests
{
    [Fact]
    public void FindsTheProcessHoldingASocketOnTheFirstAsk()
    {
        using var loopback = new Loopback();
        loopback.Connect();
        var inodes = ProcSocketOwners.InodesOf(Environment.ProcessId);
        Assert.NotEmpty(inodes);

        var owners = new ProcSocketOwners();
        Assert.True(owners.TryFind(inodes.First(), out var owner));
        Assert.Equal(Environment.ProcessId, owner.Pid);
        Assert.Equal(File.ReadAllText("/proc/self/comm").TrimEnd('\n'), owner.Comm);
    }

    [Fact]
    public void AMissRescansAtMostOncePerInterval()
    {
        var owners = new ProcSocketOwners { RescanInterval = TimeSpan.FromHours(1) };
        var before = ProcSocketOwners.InodesOf(Environment.ProcessId);
        Assert.False(owners.TryFind(ulong.MaxValue, out _));
        using var loopback = new Loopback();
        loopback.Connect();
        var created = ProcSocketOwners.InodesOf(Environment.ProcessId).Except(before).ToList();
        Assert.NotEmpty(created);

        // the new sockets are not seen until the interval has passed: one scan per burst of misses
        Assert.All(created, inode => Assert.False(owners.TryFind(inode, out _)));
    }

    [Fact]
    public void AnUrgentMissRescansSoonerThanTheInterval()
    {
        // long enough for a cold process to open its first sockets before the urgent interval passes
        var owners = new ProcSocketOwners { RescanInterval = TimeSpan.FromHours(1), UrgentRescanInterval = TimeSpan.FromSeconds(1) };
        var before = ProcSocketOwners.InodesOf(Environment.ProcessId);
        Assert.False(owners.TryFind(ulong.MaxValue, out _));
        using var loopback = new Loopback();
        loopback.Connect();
        var created = ProcSocketOwners.InodesOf(Environment.ProcessId).Except(before).First();

        Assert.False(owners.TryFind(created, out _, urgent: true));
        Thread.Sleep(1100);
        Assert.False(owners.TryFind(created, out _));
        Assert.True(owners.TryFind(created, out var owner, urgent: true));
        Assert.Equal(Environment.ProcessId, owner.Pid);
    }
}
