using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tracer.Integration.Tests.Resets;

/// <summary>Resets/listener.py as the server or the ghost, in its own process; and clients that count the RSTs they see.</summary>
public sealed class ListenerProcess : IDisposable
{
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "Resets", "listener.py");
    private readonly Process process;

    private ListenerProcess(Process process, int pid)
    {
        this.process = process;
        Pid = pid;
    }

    public int Pid { get; }

    public static ListenerProcess Serve(ushort port, string[]? wrapper = null) => Start(wrapper, "serve", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A listener that accepts none (or the first <paramref name="accept"/>) and exits once <paramref name="goFile"/> exists.</summary>
    public static ListenerProcess Ghost(ushort port, string goFile, bool deferAccept = false, string[]? wrapper = null, int accept = 0) =>
        Start(wrapper, ["ghost", port.ToString(System.Globalization.CultureInfo.InvariantCulture), goFile,
            .. deferAccept ? new[] { "--defer-accept" } : [], .. accept > 0 ? new[] { "--accept", accept.ToString(System.Globalization.CultureInfo.InvariantCulture) } : []]);

    /// <summary>Waits for the ghost to exit after <paramref name="goFile"/> is created.</summary>
    public void Release(string goFile)
    {
        File.WriteAllText(goFile, "");
        Assert.True(process.WaitForExit(10_000), "the ghost did not exit");
    }

    public bool WaitExited() => process.WaitForExit(10_000);

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit();
        }

        process.Dispose();
    }

    private static ListenerProcess Start(string[]? wrapper, params string[] args)
    {
        var info = new ProcessStartInfo(wrapper?[0] ?? "/usr/bin/python3") { RedirectStandardOutput = true };
        foreach (var arg in (wrapper is null ? [] : wrapper[1..].Append("/usr/bin/python3")).Append(Script).Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        var line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"listener.py {string.Join(' ', args)} exited before listening");
        Assert.StartsWith("listening ", line, StringComparison.Ordinal);
        return new ListenerProcess(process, int.Parse(line["listening ".Length..], System.Globalization.CultureInfo.InvariantCulture));
    }
}

public static class Clients
{
    /// <summary>24 clients connect while <paramref name="ghost"/> is in the port's group, then it exits: how many of them were reset (see <see cref="CountResets"/>).</summary>
    public static int ResetByExitOf(ListenerProcess ghost, ushort port, string goFile, bool send = false)
    {
        var clients = Connect(port, 24);
        Thread.Sleep(300);
        ghost.Release(goFile);
        var resets = CountResets(clients, send);
        clients.ForEach(c => c.Dispose());
        return resets;
    }

    /// <summary>Connects <paramref name="count"/> clients, alternately over IPv4 and IPv6 loopback.</summary>
    public static List<Socket> Connect(ushort port, int count)
    {
        var clients = new List<Socket>();
        for (var i = 0; i < count; i++)
        {
            var address = i % 2 == 0 ? IPAddress.Loopback : IPAddress.IPv6Loopback;
            var client = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(address, port);
            clients.Add(client);
        }

        return clients;
    }

    /// <summary>
    /// How many of the clients were reset: a send (when asked), then a read that fails with
    /// ECONNRESET. The RSTs of a close went out before the ghost exited, a listener's answers
    /// within the pause after the send: a client not readable by then was not reset.
    /// </summary>
    public static int CountResets(List<Socket> clients, bool send)
    {
        if (send)
        {
            foreach (var c in clients)
            {
                c.Send([1]);
            }
        }

        Thread.Sleep(300);
        var reset = 0;
        foreach (var c in clients)
        {
            try
            {
                if (c.Poll(0, SelectMode.SelectRead))
                {
                    c.Receive(new byte[16]);
                }
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                reset++;
            }

            c.Dispose();
        }

        return reset;
    }

    public static ushort FreePort()
    {
        using var probe = new TcpListener(IPAddress.IPv6Any, 0);
        probe.Server.DualMode = true;
        probe.Start();
        return (ushort)((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
