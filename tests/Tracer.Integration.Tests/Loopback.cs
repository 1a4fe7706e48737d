using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tracer.Integration.Tests;

/// <summary>A listening socket on loopback and the connections made to it, all in this process.</summary>
public sealed class Loopback : IDisposable
{
    private readonly TcpListener listener;
    private readonly List<Socket> sockets = [];

    public Loopback(AddressFamily family = AddressFamily.InterNetwork, int receiveBuffer = 0)
    {
        Address = family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        listener = new TcpListener(Address, 0);
        if (receiveBuffer > 0)
        {
            listener.Server.ReceiveBufferSize = receiveBuffer;
        }

        listener.Start();
        Port = (ushort)((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public IPAddress Address { get; }

    public ushort Port { get; }

    /// <summary>Connects a client and accepts it: (client, server).</summary>
    public (Socket Client, Socket Server) Connect(int sendBuffer = 0)
    {
        var client = new Socket(Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (sendBuffer > 0)
        {
            client.SendBufferSize = sendBuffer;
        }

        client.Connect(Address, Port);
        var server = listener.AcceptSocket();
        sockets.Add(client);
        sockets.Add(server);
        return (client, server);
    }

    /// <summary>Accepts a connection made by another process.</summary>
    public Socket Accept()
    {
        var server = listener.AcceptSocket();
        sockets.Add(server);
        return server;
    }

    /// <summary>Sends <paramref name="bytes"/> from one end and reads them all at the other.</summary>
    public static void Transfer(Socket from, Socket to, long bytes)
    {
        var reader = Task.Run(() =>
        {
            var buffer = new byte[256 * 1024];
            long received = 0;
            while (received < bytes)
            {
                var n = to.Receive(buffer);
                if (n == 0)
                {
                    break;
                }

                received += n;
            }
        });
        var chunk = new byte[256 * 1024];
        for (long sent = 0; sent < bytes; sent += chunk.Length)
        {
            from.Send(chunk, 0, (int)Math.Min(chunk.Length, bytes - sent), SocketFlags.None);
        }

        reader.Wait();
    }

    /// <summary>Writes without blocking until the kernel takes no more for half a second; returns the bytes queued.</summary>
    public static long FillUntilBlocked(Socket socket)
    {
        socket.Blocking = false;
        var chunk = new byte[64 * 1024];
        long queued = 0;
        var blockedSince = Stopwatch.StartNew();
        while (blockedSince.ElapsedMilliseconds < 500)
        {
            var n = socket.Send(chunk, 0, chunk.Length, SocketFlags.None, out var error);
            if (error == SocketError.Success && n > 0)
            {
                queued += n;
                blockedSince.Restart();
            }
            else
            {
                Thread.Sleep(10);
            }
        }

        socket.Blocking = true;
        return queued;
    }

    public static void Drain(Socket socket, long bytes)
    {
        var buffer = new byte[1 << 20];
        for (long read = 0; read < bytes;)
        {
            read += socket.Receive(buffer);
        }
    }

    public void Dispose()
    {
        sockets.ForEach(s => s.Dispose());
        listener.Stop();
    }
}
