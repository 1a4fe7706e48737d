using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Tracer.Analysis.DataPath;
using Tracer.Interop.Events;
using Tracer.Bpf.Paths;

namespace Tracer.Bpf.Tests;

/// <summary>The data-path walk's readers of /proc and sock_diag, on text fixtures (Fixtures/).</summary>
public sealed class ProcParserTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    private static string X64(string name, long nr) =>
        RuntimeInformation.ProcessArchitecture == Architecture.X64 ? name : string.Create(CultureInfo.InvariantCulture, $"syscall {nr}");

    [Fact]
    public void StatKeepsACommWithSpacesAndParenthesesAndReadsStateParentAndThreads()
    {
        Assert.Equal(("rsync (server) x", RunState.Stopped, 20523, 1), ProcessReader.ParseStat(Fixture("stat-stopped-rsync.txt")));
        Assert.Equal(("ssh", RunState.Sleeping, 20521, 3), ProcessReader.ParseStat(Fixture("stat-sleeping-ssh.txt")));
    }

    [Theory]
    [InlineData("R", RunState.Running)]
    [InlineData("I", RunState.Sleeping)]
    [InlineData("D", RunState.DiskWait)]
    [InlineData("t", RunState.TracingStop)]
    [InlineData("X", RunState.Zombie)]
    [InlineData("P", RunState.Other)]
    public void StatStateLettersMapToRunStates(string letter, RunState state) =>
        Assert.Equal(state, ProcessReader.ParseStat(Fixture("stat-sleeping-ssh.txt").Replace(") S ", $") {letter} ", StringComparison.Ordinal))?.State);

    [Theory]
    [InlineData("stat-truncated.txt")]
    [InlineData("syscall-running.txt")]
    public void StatWithoutItsFieldsIsNull(string fixture) => Assert.Null(ProcessReader.ParseStat(Fixture(fixture)));

    [Fact]
    public void SyscallNamesTheCallAndTheFdOfACallThatTakesOne()
    {
        var write = ProcessReader.ParseSyscall(Fixture("syscall-write-fd3.txt"));
        Assert.Equal(X64("write", 1), write?.Name);
        Assert.Equal(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 3 : null, write?.Fd);

        var poll = ProcessReader.ParseSyscall(Fixture("syscall-poll.txt"));
        Assert.Equal(X64("poll", 7), poll?.Name);
        Assert.Null(poll?.Fd);
    }

    [Theory]
    [InlineData("syscall-running.txt")]
    [InlineData("syscall-none.txt")]
    public void SyscallOutsideACallIsNull(string fixture) => Assert.Null(ProcessReader.ParseSyscall(Fixture(fixture)));

    [Fact]
    public void TcpTableFindsTheLocalPeerOfLoopbackConnectionsOnly()
    {
        var table = new TcpTable();
        table.Parse(Fixture("tcp.txt"));
        table.Parse(Fixture("tcp6.txt"));

        Assert.Equal(5003UL, table.PeerOf(5002));
        Assert.Equal(5002UL, table.PeerOf(5003));
        Assert.Equal(6002UL, table.PeerOf(6001)); // IPv4-mapped loopback
        Assert.Null(table.PeerOf(5001)); // a listener
        Assert.Null(table.PeerOf(5004)); // a remote peer
        Assert.Null(table.PeerOf(9999));
    }

    [Fact]
    public void TcpTableListsTheSocketsOfAPortAndSkipsThoseWithoutAnInode()
    {
        var table = new TcpTable();
        table.Parse(Fixture("tcp.txt"));
        table.Parse(Fixture("tcp6.txt"));

        Assert.Equal(new ulong[] { 5001, 5002, 5003 }, table.WithPort(2222).Order());
        Assert.Equal(new ulong[] { 6003 }, table.WithPort(8081));
        Assert.Empty(table.WithPort(80)); // TIME_WAIT, inode 0
    }

    [Fact]
    public void UnixDiagGivesEachSocketItsPeerQueuesAndSendBuffer()
    {
        var hex = string.Concat(Fixture("unix-diag.hex").Split('\n').Select(l => l.Split('#')[0].Replace(" ", "", StringComparison.Ordinal)));
        var sockets = new Dictionary<ulong, UnixSocket>();

        Assert.False(UnixSockets.Parse(Convert.FromHexString(hex), sockets));
        Assert.Equal(new UnixSocket(1001, 1002, 0, 212_992, 212_992), sockets[1001]);
        Assert.Equal(new UnixSocket(1002, 1001, 200_000, 0, 212_992), sockets[1002]);
        Assert.True(sockets[1001].WriterBlocked);
        Assert.False(sockets[1002].WriterBlocked);
    }

    [Fact]
    public void UnixDiagWithoutDoneAsksForMoreAndAShortMessageIsAnError()
    {
        var hex = string.Concat(Fixture("unix-diag.hex").Split('\n').Select(l => l.Split('#')[0].Replace(" ", "", StringComparison.Ordinal)));
        var bytes = Convert.FromHexString(hex);

        Assert.True(UnixSockets.Parse(bytes.AsSpan(0, 92), new Dictionary<ulong, UnixSocket>()));
        Assert.Throws<InvalidDataException>(() => UnixSockets.Parse(bytes.AsSpan(0, 60), new Dictionary<ulong, UnixSocket>()));
    }

    [Theory]
    [InlineData("pipe:[1301003]", OpenFileKind.Pipe, 1301003UL)]
    [InlineData("socket:[42]", OpenFileKind.Socket, 42UL)]
    public void FdTargetsOfPipesAndSocketsAreClassifiedByTheirInode(string target, OpenFileKind kind, ulong inode) =>
        Assert.Equal(new OpenFile(0, kind, inode), FdTable.Classify("/nonexistent", Encoding.ASCII.GetBytes(target)));

    [Theory]
    [InlineData("anon_inode:[eventfd]")]
    [InlineData("pipe:[12")]
    [InlineData("/dev/null")]
    [InlineData("/etc/hostname")]
    [InlineData("")]
    public void FdTargetsTheWalkDoesNotFollowAreNull(string target) =>
        Assert.Null(FdTable.Classify(target.StartsWith('/') ? target : "/nonexistent", Encoding.ASCII.GetBytes(target)));

    [Fact]
    public void ANamedFifoIsClassifiedByTheInodeOfItsPath()
    {
        var dir = Directory.CreateTempSubdirectory("tracer-fifo-");
        try
        {
            var fifo = Path.Combine(dir.FullName, "queue");
            Run("mkfifo", fifo);
            var inode = ulong.Parse(Run("stat", "-c", "%i", fifo), CultureInfo.InvariantCulture);

            Assert.Equal(new OpenFile(0, OpenFileKind.Fifo, inode), FdTable.Classify(fifo, Encoding.UTF8.GetBytes(fifo)));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output.Trim();
    }
}
