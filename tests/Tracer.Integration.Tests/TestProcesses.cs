using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Tracer.Integration.Tests;

/// <summary>Real servers and clients the tests start: started quietly, their children found, their listeners awaited.</summary>
public static class TestProcesses
{
    /// <summary>Starts a program with its output read and dropped, so a full pipe never blocks it.</summary>
    public static Process Start(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        args.ToList().ForEach(start.ArgumentList.Add);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The processes whose parent is <paramref name="parent"/> now, from /proc/PID/status.</summary>
    public static List<int> ChildrenOf(int parent)
    {
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) &&
                    File.ReadLines(Path.Combine(dir, "status")).FirstOrDefault(l => l.StartsWith("PPid:", StringComparison.Ordinal)) is { } ppid &&
                    int.Parse(ppid.AsSpan(5).Trim(), CultureInfo.InvariantCulture) == parent)
                {
                    children.Add(pid);
                }
            }
            catch (IOException)
            {
                // exited while we looked
            }
        }

        return children;
    }

    /// <summary>Waits up to 10 s until <paramref name="server"/> accepts connections on the loopback port.</summary>
    public static void WaitForListener(int port, Process server)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(10) && !server.HasExited)
            {
                Thread.Sleep(20);
            }
        }
    }
}
