using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Tracer.Bench;
using Tracer.Interop;
using Tracer.Interop.Events;

// Workloads for scripts/bench.sh and scripts/soak.sh. Each prints one number on stdout, except stalls.
//   rr SECONDS CONNECTIONS          request/response over loopback: transactions per second
//   churn SECONDS                   socket create/close: operations per second
//   rr|churn|connect … --per-second instead of one rate at the end, a line "UNIX-TIME RATE" every second
//   connect PORT SECONDS            connection churn against an HTTP server on loopback: a new connection
//                                   per request (HTTP/1.0, the server closes), requests per second
//   hold CONNECTIONS SECONDS        hold that many loopback connections, each exchanging a message
//   empty OBJECT SECONDS [PROGRAM…] attach the named programs of an object, or all (the empty baselines)
//   ring OBJECT LIBRARY ROUNDS      ring buffer consumers, MappedRingBuffer and libbpf's: one C#/C ratio
//                                   of records/s per round (details and allocations on stderr)
//   stalls SECONDS EVERY HOLD       a zero-window episode of HOLD seconds every EVERY seconds, each on a
//                                   new loopback connection; one line per episode once its window reopened:
//                                   unix-ms client-port server-port
//   recording SAMPLES FILE          a recording of one rsync-like transfer (ReportInput): the input of
//                                   scripts/bench-report.sh
return args switch
{
    ["recording", var samples, var file] => ReportInput.Write(int.Parse(samples, CultureInfo.InvariantCulture), file),
    ["rr", var seconds, var connections] => RequestResponse(Seconds(seconds), int.Parse(connections, CultureInfo.InvariantCulture), perSecond: false),
    ["rr", var seconds, var connections, "--per-second"] => RequestResponse(Seconds(seconds), int.Parse(connections, CultureInfo.InvariantCulture), perSecond: true),
    ["churn", var seconds] => Churn(Seconds(seconds), perSecond: false),
    ["churn", var seconds, "--per-second"] => Churn(Seconds(seconds), perSecond: true),
    ["connect", var port, var seconds] => Connect(int.Parse(port, CultureInfo.InvariantCulture), Seconds(seconds), perSecond: false),
    ["connect", var port, var seconds, "--per-second"] => Connect(int.Parse(port, CultureInfo.InvariantCulture), Seconds(seconds), perSecond: true),
    ["hold", var connections, var seconds] => Hold(int.Parse(connections, CultureInfo.InvariantCulture), Seconds(seconds)),
    ["empty", var path, var seconds, .. var programs] => Empty(path, Seconds(seconds), programs),
    ["ring", var path, var library, var rounds] => RingConsumers(path, library, int.Parse(rounds, CultureInfo.InvariantCulture)),
    ["stalls", var seconds, var every, var hold] => Stalls(Seconds(seconds), Seconds(every), Seconds(hold)),
    _ => Usage(),
};

static TimeSpan Seconds(string text) => TimeSpan.FromSeconds(double.Parse(text, CultureInfo.InvariantCulture));

static int Usage()
{
    Console.Error.WriteLine("usage: Bench rr SECONDS CONNECTIONS | churn SECONDS | connect PORT SECONDS | hold CONNECTIONS SECONDS | empty OBJECT SECONDS [PROGRAM...] | ring OBJECT LIBRARY ROUNDS | stalls SECONDS EVERY HOLD | recording SAMPLES FILE");
    return 2;
}

// Prints the rate of `done` once a second, each line "UNIX-TIME RATE" (the second ending then), until `running` is false.
static Thread ReportEverySecond(Func<long> done, Func<bool> running)
{
    var reporter = new Thread(() =>
    {
        var clock = Stopwatch.StartNew();
        var (lastCount, lastTicks) = (done(), clock.Elapsed);
        while (running())
        {
            Thread.Sleep(1000 - (int)(clock.ElapsedMilliseconds % 1000));
            var (count, at) = (done(), clock.Elapsed);
            var rate = (count - lastCount) / (at - lastTicks).TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0:F3} {rate:F0}"));
            (lastCount, lastTicks) = (count, at);
        }
    }) { IsBackground = true };
    reporter.Start();
    return reporter;
}

// one-byte request, one-byte response, on each connection in its own thread
static int RequestResponse(TimeSpan duration, int connections, bool perSecond)
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
                if (perSecond)
                {
                    Interlocked.Increment(ref transactions);
                }
            }

            if (!perSecond)
            {
                Interlocked.Add(ref transactions, n);
            }
            client.Shutdown(SocketShutdown.Both);
            client.Dispose();
        });
    }).ToList();
    stop.Restart();
    threads.ForEach(t => t.Start());
    if (perSecond)
    {
        ReportEverySecond(() => Interlocked.Read(ref transactions), () => stop.Elapsed < duration);
    }

    threads.ForEach(t => t.Join());
    if (!perSecond)
    {
        Console.WriteLine((transactions / duration.TotalSeconds).ToString("F0", CultureInfo.InvariantCulture));
    }

    return 0;
}

static int Churn(TimeSpan duration, bool perSecond)
{
    long operations = 0;
    var clock = Stopwatch.StartNew();
    if (perSecond)
    {
        ReportEverySecond(() => Volatile.Read(ref operations), () => clock.Elapsed < duration);
    }

    while (clock.Elapsed < duration)
    {
        for (var i = 0; i < 1000; i++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        }

        Volatile.Write(ref operations, operations + 1000);
    }

    if (!perSecond)
    {
        Console.WriteLine((operations / clock.Elapsed.TotalSeconds).ToString("F0", CultureInfo.InvariantCulture));
    }

    return 0;
}

static int Connect(int port, TimeSpan duration, bool perSecond)
{
    var request = "GET / HTTP/1.0\r\n\r\n"u8.ToArray();
    var response = new byte[4096];
    var server = new IPEndPoint(IPAddress.Loopback, port);
    long requests = 0;
    var clock = Stopwatch.StartNew();
    if (perSecond)
    {
        ReportEverySecond(() => Volatile.Read(ref requests), () => clock.Elapsed < duration);
    }

    while (clock.Elapsed < duration)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(server);
        socket.Send(request);
        while (socket.Receive(response) > 0)
        {
        }

        Volatile.Write(ref requests, requests + 1);
    }

    if (!perSecond)
    {
        Console.WriteLine((requests / clock.Elapsed.TotalSeconds).ToString("F0", CultureInfo.InvariantCulture));
    }

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

static int Empty(string path, TimeSpan duration, string[] programs)
{
    using var obj = BpfObject.Open("empty", File.ReadAllBytes(path));
    obj.Load();
    var links = obj.Programs.Where(p => programs.Length == 0 || programs.Contains(p.Name)).Select(p => p.Attach()).ToList();
    Console.WriteLine(links.Count.ToString(CultureInfo.InvariantCulture));
    Thread.Sleep(duration);
    links.ForEach(l => l.Dispose());
    return 0;
}

// MappedRingBuffer against libbpf's consumer (ringdrain.c, LIBRARY) on one synthetic stream.
// ringfill.bpf.o appends batches of 10,000 records (1.6 MB: the drain reads them from cache, so it
// measures the consumer rather than memory bandwidth); a consumer drains 100 batches per turn, doing
// the same work per record as the other, C first in odd rounds and C# first in even ones, and its
// rate is that of its median batch. Two seconds of uncounted drains come first, so both run warm
// (caches, the handler's final JIT tier), as in a long-running tracer.
static unsafe int RingConsumers(string objectPath, string libraryPath, int rounds)
{
    const uint BatchRecords = 10_000;
    const int BatchesPerTurn = 100;
    using var fill = new RingFill(File.ReadAllBytes(objectPath), 8u << 20);
    var library = NativeLibrary.Load(libraryPath);
    var open = (delegate* unmanaged<int, ulong*, void*>)NativeLibrary.GetExport(library, "ringdrain_open");
    var consume = (delegate* unmanaged<void*, int>)NativeLibrary.GetExport(library, "ringdrain_consume");
    var close = (delegate* unmanaged<void*, void>)NativeLibrary.GetExport(library, "ringdrain_close");
    var cChecksum = stackalloc ulong[1];
    var libbpfReader = open(fill.Records.Fd, cChecksum);
    if (libbpfReader == null)
    {
        throw new BpfException("ring_buffer__new", Marshal.GetLastSystemError(), "records");
    }

    ulong checksum = 0;
    using var reader = new MappedRingBuffer(fill.Records, record => checksum += MemoryMarshal.AsRef<TcpWindowEvent>(record).cookie);
    long allocated = 0;
    var collections = 0;
    ulong drainedByCSharp = 0;

    // one batch: fill, drain with one consumer, check count and checksum; returns the drain's time
    TimeSpan Drain(bool libbpf)
    {
        fill.Fill(BatchRecords);
        var expected = RingFill.Checksum(fill.Next - BatchRecords, BatchRecords);
        long count;
        ulong sum;
        TimeSpan elapsed;
        if (libbpf)
        {
            *cChecksum = 0;
            var start = Stopwatch.GetTimestamp();
            count = consume(libbpfReader);
            elapsed = Stopwatch.GetElapsedTime(start);
            sum = *cChecksum;
        }
        else
        {
            checksum = 0;
            var collectionsBefore = GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var start = Stopwatch.GetTimestamp();
            count = reader.Consume();
            elapsed = Stopwatch.GetElapsedTime(start);
            allocated += GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            collections += GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2) - collectionsBefore;
            drainedByCSharp += (ulong)count;
            sum = checksum;
        }

        return count == BatchRecords && sum == expected
            ? elapsed
            : throw new InvalidOperationException($"the {(libbpf ? "libbpf C" : "C#")} consumer read {count} of {BatchRecords} records, checksum {sum}, expected {expected}");
    }

    // of the median batch: a batch takes tens of microseconds, so most run without being preempted
    double RecordsPerSecond(bool libbpf) =>
        BatchRecords / Median(Enumerable.Range(0, BatchesPerTurn).Select(_ => Drain(libbpf).TotalSeconds).ToList());

    var cRates = new List<double>();
    var csRates = new List<double>();
    try
    {
        for (var warmUp = Stopwatch.StartNew(); warmUp.Elapsed < TimeSpan.FromSeconds(2);)
        {
            Drain(libbpf: true);
            Drain(libbpf: false);
        }

        for (var round = 1; round <= rounds; round++)
        {
            var cFirst = round % 2 == 1;
            var first = RecordsPerSecond(cFirst);
            var second = RecordsPerSecond(!cFirst);
            cRates.Add(cFirst ? first : second);
            csRates.Add(cFirst ? second : first);
            Console.WriteLine((csRates[^1] / cRates[^1]).ToString("F4", CultureInfo.InvariantCulture));
            Console.Error.WriteLine(FormattableString.Invariant($"  round {round}: C# {csRates[^1]:N0} records/s, libbpf C {cRates[^1]:N0} records/s"));
        }
    }
    catch (InvalidOperationException e)
    {
        Console.Error.WriteLine($"bench: {e.Message}");
        return 1;
    }
    finally
    {
        close(libbpfReader);
    }

    Console.Error.WriteLine(FormattableString.Invariant($"ring consumer records/s (median of {rounds}): C# {Median(csRates):N0}, libbpf C {Median(cRates):N0}; checksums equal"));
    Console.Error.WriteLine(FormattableString.Invariant($"C# consumer allocations over {drainedByCSharp:N0} records: {allocated} bytes, {collections} collections"));
    return 0;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
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
