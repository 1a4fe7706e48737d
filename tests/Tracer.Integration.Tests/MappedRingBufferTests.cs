using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tracer.Analysis.Tcp;
using Tracer.Bench;
using Tracer.Bpf;
using Tracer.Bpf.Tcp;
using Tracer.Interop;
using Tracer.Interop.Events;
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

    /// <summary>
    /// A million records written by a BPF program (scripts/Bench/ringfill.bpf.c, the consumer
    /// benchmark's stream), ten batches that each nearly fill a 16 MiB ring, so the ring is lapped
    /// and records straddle its end: every one is handed over whole and in sequence, and draining
    /// them allocates no managed memory and triggers no collection.
    /// </summary>
    [KernelFact]
    public void DrainsAMillionKernelRecordsInSequenceWithoutAllocatingOrCollecting()
    {
        const uint Batch = 100_000;
        using var fill = new RingFill(CompileRingFill(), 16u << 20);
        var checker = new SequenceChecker();
        using var reader = new MappedRingBuffer(fill.Records, checker.Handler);
        long allocated = 0;
        var collections = 0;
        for (var batch = 0; batch < 10; batch++)
        {
            fill.Fill(Batch);
            var collectionsBefore = GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var drained = reader.Consume();
            allocated += GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            collections += GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2) - collectionsBefore;
            Assert.Equal((int)Batch, drained);
        }

        output.WriteLine($"{checker.Count} records, {checker.OutOfSequence} out of sequence, {checker.WrongSize} of a wrong size; {allocated} bytes allocated, {collections} collections while draining");
        Assert.Equal(1_000_000, checker.Count);
        Assert.Equal(0, checker.OutOfSequence);
        Assert.Equal(0, checker.WrongSize);
        Assert.Equal(0, reader.Consume());
        Assert.Equal(0, allocated);
        Assert.Equal(0, collections);
    }

    /// <summary>Compiles ringfill.bpf.c as scripts/bench.sh does; returns the object.</summary>
    private static byte[] CompileRingFill()
    {
        var output = Path.Combine(Path.GetTempPath(), $"tracer-ringfill-{Environment.ProcessId}.bpf.o");
        var clang = new ProcessStartInfo("clang-19") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-target", "bpf", "-g", "-O2", "-Wall", "-Werror", "-I", Path.Combine(RepoPaths.Root, "build"), "-I", Path.Combine(RepoPaths.Root, "bpf", "include"), "-c", Path.Combine(RepoPaths.Root, "scripts", "Bench", "ringfill.bpf.c"), "-o", output })
        {
            clang.ArgumentList.Add(arg);
        }

        using var process = Process.Start(clang)!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"clang-19 ringfill.bpf.c failed (make build first): {errors}");
        var elf = File.ReadAllBytes(output);
        File.Delete(output);
        return elf;
    }

    /// <summary>Counts records and checks that their sequence numbers (in <c>cookie</c>) go 0, 1, 2, … without a gap.</summary>
    private sealed class SequenceChecker
    {
        private ulong next;

        public SequenceChecker() => Handler = Check;

        public RecordHandler Handler { get; }

        public long Count { get; private set; }

        public long OutOfSequence { get; private set; }

        public long WrongSize { get; private set; }

        private void Check(ReadOnlySpan<byte> record)
        {
            Count++;
            if (record.Length != Unsafe.SizeOf<TcpWindowEvent>())
            {
                WrongSize++;
                return;
            }

            var sequence = MemoryMarshal.AsRef<TcpWindowEvent>(record).cookie;
            if (sequence != next)
            {
                OutOfSequence++;
            }

            next = sequence + 1;
        }
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
