using Tracer.Analysis.Tcp;
using Tracer.Bpf;
using Tracer.Bpf.Tcp;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary>The reader that consumes the ring buffer's memory mapping directly.</summary>
public sealed class MappedRingBufferTests(ITestOutputHelper output)
{
    /// <summary>
    /// A 16 KiB ring holds about 100 samples: thousands of them lap it many times, so records
    /// that wrap around the end of the data area are read too. Every one must decode, in order,
    /// none lost, and once the connections are known, reading allocates nothing.
    /// </summary>
    [KernelFact]
    public void ReadsEveryRecordInOrderAcrossManyLapsWithoutAllocating()
    {
        using var loopback = new Loopback();
        var options = new TcpTraceOptions { EverySegment = true, RingBufferBytes = 16 * 1024, Filter = new TcpFilter { Port = loopback.Port } };
        using var tracer = TcpWindowTracer.Start(new BpfSettings { Transport = Transport.RingBuffer }, options, new TestLog(output));
        var (client, server) = loopback.Connect();
        var counter = new SampleCounter();
        long allocated = 0;
        for (var round = 0; round < 200; round++)
        {
            for (var i = 0; i < 10; i++)
            {
                Loopback.Transfer(client, server, 100);
            }

            // the first rounds meet new connections: owner lookups in /proc, per-connection state
            var before = GC.GetAllocatedBytesForCurrentThread();
            tracer.Poll(0, counter.Handler);
            allocated += round < 20 ? 0 : GC.GetAllocatedBytesForCurrentThread() - before;
        }

        tracer.Poll(100, counter.Handler);
        output.WriteLine($"{counter.Count} samples, {counter.OutOfOrder} out of order, {tracer.Dropped} dropped, {allocated} bytes allocated while reading");
        Assert.True(counter.Count >= 4000, $"only {counter.Count} samples for 2000 exchanges");
        Assert.Equal(0, counter.OutOfOrder);
        Assert.Equal(0UL, tracer.Dropped);
        Assert.Equal(0UL, tracer.Malformed);
        Assert.Equal(0, allocated);
    }

    private sealed class SampleCounter
    {
        private readonly Dictionary<ulong, ulong> lastByCookie = [];

        public SampleCounter() => Handler = Count1;

        public TcpSampleHandler Handler { get; }

        public long Count { get; private set; }

        public long OutOfOrder { get; private set; }

        private void Count1(in TcpSample sample)
        {
            Count++;
            if (lastByCookie.TryGetValue(sample.Cookie, out var last) && sample.TimestampNs < last)
            {
                OutOfOrder++;
            }

            lastByCookie[sample.Cookie] = sample.TimestampNs;
        }
    }
}
