using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tracer.Interop;

// Workloads for scripts/bench.sh and scripts/soak.sh. Each prints one number on stdout, except stalls.
//   rr SECONDS CONNECTIONS          request/response over loopback: transactions per second
//   churn SECONDS                   socket create/close: operations per second
//   hold CONNECTIONS SECONDS        hold that many loopback connections, each exchanging a message
//   empty OBJECT SECONDS            attach every program of an object (the empty baselines)
//   stalls SECONDS EVERY HOLD       a zero-window episode of HOLD seconds every EVERY seconds, each on a
//                                   new loopback connection; one line per episode once its window reopened:
//                                   unix-ms client-port server-port
return args switch
{
    ["rr", var seconds, var connections] => RequestResponse(Seconds(seconds), int.Parse(connections, CultureInfo.InvariantCulture)),
    ["churn", var seconds] => Churn(Seconds(seconds)),
    ["hold", var connections, var seconds] => Hold(int.Parse(connections, CultureInfo.InvariantCulture), Seconds(seconds)),
    ["empty", var path, var seconds] => Empty(path, Seconds(seconds)),
    ["stalls", var seconds, var every, var hold] => Stalls(Seconds(seconds), Seconds(every), Seconds(hold)),
    _ => Usage(),
};

static TimeSpan Seconds(string text) => TimeSpan.FromSeconds(double.Parse(text, CultureInfo.InvariantCulture));

static int Usage()
{
    Console.Error.WriteLine("usage: Bench rr SECONDS CONNECTIONS | churn SECONDS | hold CONNECTIONS SECONDS | empty OBJECT SECONDS | stalls SECONDS EVERY HOLD");
    return 2;
}

// one-byte request, one-byte response, on each connection in its own thread
static int RequestResponse(TimeSpan duration, int connections)
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    var port = ((IPEndPoint)listener.LocalEndpoint).Port;
    long transactions = 0;
    var stop = Stopwatch.StartNew();
    var threads = Enumerable.Range(0, connections).Select(_ =>
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect(IPAddress.Loopback, port);
        var server = listener.AcceptSocket();
        server.NoDelay = true;
        var echo = new Thread(() =>
        {
            var b = new byte[1];
            while (server.Receive(b) == 1)
            {
                server.Send(b);
            }
        });
        echo.Start();
        return new Thread(() =>
        {
            var b = new byte[1];
            long n = 0;
            while (stop.Elapsed < duration)
            {
                client.Send(b);
                client.Receive(b);
                n++;
            }

            Interlocked.Add(ref transactions, n);
            client.Shutdown(SocketShutdown.Both);
            client.Dispose();
        });
    }).ToList();
    stop.Restart();
    threads.ForEach(t => t.Start());
    threads.ForEach(t => t.Join());
    Console.WriteLine((transactions / duration.TotalSeconds).ToString("F0", CultureInfo.InvariantCulture));
    return 0;
}

static int Churn(TimeSpan duration)
{
    long operations = 0;
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed < duration)
    {
        for (var i = 0; i < 1000; i++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        }

        operations += 1000;
    }

    Console.WriteLine((operations / clock.Elapsed.TotalSeconds).ToString("F0", CultureInfo.InvariantCulture));
    return 0;
}

static int Hold(int connections, TimeSpan duration)
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start(connections);
    var port = ((IPEndPoint)listener.LocalEndpoint).Port;
    var sockets = new List<Socket>();
    var b = new byte[1];
    for (var i = 0; i < connections; i++)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(IPAddress.Loopback, port);
        var server = listener.AcceptSocket();
        client.Send(b);
        server.Receive(b);
        server.Send(b);
        client.Receive(b);
        sockets.Add(client);
        sockets.Add(server);
    }

    Console.WriteLine(connections.ToString(CultureInfo.InvariantCulture));
    Thread.Sleep(duration);
    sockets.ForEach(s => s.Dispose());
    return 0;
}

static int Empty(string path, TimeSpan duration)
{
    using var obj = BpfObject.Open("empty", File.ReadAllBytes(path));
    obj.Load();
    var links = obj.Programs.Select(p => p.Attach()).ToList();
    Console.WriteLine(links.Count.ToString(CultureInfo.InvariantCulture));
    Thread.Sleep(duration);
    links.ForEach(l => l.Dispose());
    return 0;
}

// the server stops reading until the client's sends block (its receive window is 0), waits, then drains
static int Stalls(TimeSpan duration, TimeSpan every, TimeSpan hold)
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    var port = ((IPEndPoint)listener.LocalEndpoint).Port;
    var chunk = new byte[64 * 1024];
    var clock = Stopwatch.StartNew();
    for (var next = TimeSpan.Zero; next < duration; next += every)
    {
        if (next > clock.Elapsed)
        {
            Thread.Sleep(next - clock.Elapsed);
        }

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(IPAddress.Loopback, port);
        client.Blocking = false;
        using var server = listener.AcceptSocket();
        long queued = 0;
        var lastAccepted = Stopwatch.StartNew();
        while (lastAccepted.ElapsedMilliseconds < 300)
        {
            var n = client.Send(chunk, 0, chunk.Length, SocketFlags.None, out var error);
            if (error == SocketError.Success && n > 0)
            {
                queued += n;
                lastAccepted.Restart();
            }
            else
            {
                Thread.Sleep(5);
            }
        }

        Thread.Sleep(hold);
        var buffer = new byte[1 << 20];
        for (long read = 0; read < queued;)
        {
            read += server.Receive(buffer);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} {((IPEndPoint)client.LocalEndPoint!).Port} {port}"));
    }

    return 0;
}
