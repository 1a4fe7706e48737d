using System.Diagnostics;
using Tracer.Bpf;
using Tracer.Bpf.Paths;
using Tracer.Interop.Events;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary>The task_file iterator (bpf/fdscan.bpf.c) reads the same pipes, FIFOs and sockets as /proc/PID/fd, in one pass.</summary>
public sealed class FdScanTests(ITestOutputHelper output)
{
    [KernelFact]
    public void TheIteratorSeesWhatProcSeesForAPipelineWithAFifoAndSockets()
    {
        var directory = Directory.CreateTempSubdirectory("tracer-fdscan-").FullName;
        var fifo = Path.Combine(directory, "fifo");
        using var mkfifo = Process.Start("mkfifo", [fifo])!;
        mkfifo.WaitForExit();
        using var listener = new Loopback();
        // a pipe between two processes, a FIFO held by both, a unix socket pair and a TCP connection
        using var shell = Process.Start(new ProcessStartInfo("/bin/bash", ["-c",
            $"exec 3<>{fifo}; exec 4<>/dev/tcp/127.0.0.1/{listener.Port}; " +
            "sleep 60 | python3 -c 'import socket, time; a, b = socket.socketpair(); time.sleep(60)'"]) { UseShellExecute = false })!;
        try
        {
            Thread.Sleep(500);
            var pids = Descendants(shell.Id).Append(shell.Id).ToList();

            var iterated = FdTable.Read(new BpfSettings(), new TestLog(output));
            var scanned = FdTable.Scan();

            Assert.Equal("task_file iterator", iterated.Method);
            Assert.Equal("/proc", scanned.Method);
            foreach (var pid in pids)
            {
                Assert.Equal(Files(scanned, pid), Files(iterated, pid));
                Assert.Equal(scanned.ParentOf(pid), iterated.ParentOf(pid));
            }

            var kinds = pids.SelectMany(iterated.FilesOf).Select(f => f.Kind).ToHashSet();
            Assert.Equal(new[] { OpenFileKind.Pipe, OpenFileKind.Fifo, OpenFileKind.Socket }, kinds.Order());
            // sleep's stdout is python's stdin: one pipe, two of the processes holding it
            Assert.Contains(pids.SelectMany(iterated.FilesOf).Where(f => f.Kind == OpenFileKind.Pipe),
                f => iterated.Holders(OpenFileKind.Pipe, f.Inode).Select(h => h.Pid).Intersect(pids).Count() == 2);
        }
        finally
        {
            Descendants(shell.Id).Append(shell.Id).ToList().ForEach(p => Signals.Send(p, Signals.SigKill));
            shell.WaitForExit();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static List<OpenFile> Files(FdTable table, int pid) => table.FilesOf(pid).OrderBy(f => f.Fd).ToList();

    private static IEnumerable<int> Descendants(int pid)
    {
        var children = File.Exists($"/proc/{pid}/task/{pid}/children")
            ? File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList()
            : [];
        return children.Concat(children.SelectMany(Descendants));
    }
}
