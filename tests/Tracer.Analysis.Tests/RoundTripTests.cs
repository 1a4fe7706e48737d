using System.Diagnostics;
using System.Net;
using System.Text;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Tests;

public sealed class RoundTripTests
{
    private static readonly DateTimeOffset Created = new(2024, 3, 9, 14, 30, 0, TimeSpan.Zero);

    /// <summary>Made on a machine up for 2 hours: CLOCK_MONOTONIC read 7200 s at creation.</summary>
    private static readonly RecordingHeader Header = new("5.4.0-150-generic", Created, (Created.ToUnixTimeMilliseconds() * 1_000_000) - 7_200_000_000_000);

    private static List<TcpSample> Corpus()
    {
        var v6 = Endpoints.FromAddresses(IPAddress.Parse("2001:db8::10"), 443, IPAddress.Parse("2001:db8::20:1"), 61000);
        return
        [
            .. Fixtures.Read(Fixtures.PathOf("incident-rsync.jsonl")),
            .. SyntheticBulkTransfer.Generate(),
            Samples.Connection() with
            {
                Endpoints = v6,
                Comm = "wörker",
                Wl1MovedAtBytesReceived = 123_456_789_012,
                Pending = (PendingTimer)4,
                Reason = EmitReason.Probes | (EmitReason)(1u << 20),
                ProbesOut = 255,
                Backoff = 15,
                Unsent = uint.MaxValue,
                BytesReceived = ulong.MaxValue,
            },
            Samples.Connection() with { Comm = "", Pid = 0, TimestampNs = ulong.MaxValue, Cookie = ulong.MaxValue },
        ];
    }

    [Fact]
    public void BinaryRecordingRoundTrips()
    {
        var samples = Corpus();
        using var file = new MemoryStream();
        using (var writer = new RecordingWriter(file, Header, leaveOpen: true))
        {
            foreach (var sample in samples)
            {
                writer.Write(sample);
            }

            Assert.Equal(samples.Count, writer.SamplesWritten);
        }

        file.Position = 0;
        using var reader = new RecordingReader(file);
        Assert.Equal(Header, reader.Header);
        Assert.Equal(RecordingFormat.Version, reader.Header.FormatVersion);
        var read = reader.ReadAll().ToList();
        Assert.Equal(samples, read);
        Assert.Same(read[0].Comm, read[1].Comm);
    }

    [Fact]
    public void JsonLinesRoundTrip()
    {
        var samples = Corpus();
        using var file = new MemoryStream();
        using (var writer = new JsonLinesWriter(file, leaveOpen: true))
        {
            foreach (var sample in samples)
            {
                writer.Write(sample);
            }
        }

        file.Position = 0;
        using var reader = new JsonLinesSampleReader(file);
        Assert.Equal(samples, reader.ReadAll().ToList());
        Assert.Equal(samples.Count, reader.LineNumber);
    }

    [Theory]
    [InlineData(SampleFormat.Recording)]
    [InlineData(SampleFormat.JsonLines)]
    public void SampleSourceTellsTheFormatsApart(SampleFormat format)
    {
        var samples = SyntheticBulkTransfer.Generate();
        var path = Path.GetTempFileName();
        try
        {
            using (var file = File.Create(path))
            {
                Write(file, format, samples);
            }

            using var source = SampleSource.Open(path);
            Assert.Equal(format, source.Format);
            Assert.Equal(format == SampleFormat.Recording ? Header : null, source.Header);
            Assert.Equal(samples, source.ReadAll().ToList());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SampleSourceReadsANonSeekableStream()
    {
        var samples = SyntheticBulkTransfer.Generate();
        using var file = new MemoryStream();
        Write(file, SampleFormat.Recording, samples);

        using var source = SampleSource.Open(new ForwardOnlyStream(file.ToArray()), "pipe");
        Assert.Equal(samples, source.ReadAll().ToList());
    }

    [Fact]
    public void HostTracerVersionAndFiltersRoundTripAfterTheKernelRelease()
    {
        var described = Header with { Host = "db-7", TracerVersion = "0.5.0", Filters = "--comm rsync --port 873" };
        var sample = Corpus()[0];
        foreach (var header in new[] { described, described with { Filters = "" }, Header })
        {
            using var file = new MemoryStream();
            using (var writer = new RecordingWriter(file, header, leaveOpen: true))
            {
                writer.Write(sample);
            }

            file.Position = 0;
            using var reader = new RecordingReader(file);
            Assert.Equal(header, reader.Header);
            Assert.Equal([sample], reader.ReadAll());
        }
    }

    [Fact]
    public void HeaderTurnsMonotonicTimeIntoWallClock()
    {
        Assert.Equal(Created, Header.ToWallClock(7_200_000_000_000));
        Assert.Equal(Created.AddHours(-2).AddMilliseconds(1.5), Header.ToWallClock(1_500_000));
    }

    [Fact]
    public void CapturedHeaderMapsNowToNow()
    {
        using var file = new MemoryStream();
        using var writer = new RecordingWriter(file, "6.8.0", leaveOpen: true);
        var monotonicNow = (ulong)((Int128)Stopwatch.GetTimestamp() * 1_000_000_000 / Stopwatch.Frequency);

        Assert.Equal("6.8.0", writer.Header.KernelRelease);
        Assert.InRange(writer.Header.ToWallClock(monotonicNow), DateTimeOffset.UtcNow.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5));
    }

    [Fact]
    public void JsonLinesAcceptsTheDocumentedVariants()
    {
        const string Line = "\"ts_ns\": 5, \"cookie\": 9, \"pid\": 1, \"comm\": \"a\\u00e9\", \"saddr\": \"::1\", \"sport\": 1, \"daddr\": \"::2\", "
            + "\"dport\": 2, \"snd_una\": 1, \"snd_nxt\": 2, \"snd_wnd\": 3, \"snd_wl1\": 4, \"rcv_nxt\": 5, \"bytes_received\": 6, "
            + "\"bytes_acked\": 7, \"seg_seq\": 8, \"seg_ack\": 9, \"seg_win\": 10, \"snd_wscale\": 14, \"probes_out\": 2";
        var text = "\uFEFF# comment\r\n\r\n   \n"
            + "{\"kind\": \"tcp.stuck\", \"message\": \"a finding, skipped\"}\n"
            + "{" + Line + ", \"family\": 10, \"reason\": 66, \"pending\": 3, \"wl1_moved_at_bytes_received\": null, \"extra\": {\"x\": [1]}}\r\n"
            + "  # indented comment\n"
            + "{\"family\": \"inet6\", " + Line + ", \"reason\": [\"probes\", \"first\", 256], \"pending\": \"loss_probe\", \"backoff\": 3, \"unsent\": 11, \"wl1_moved_at_bytes_received\": 4}";

        using var reader = new JsonLinesSampleReader(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        var samples = reader.ReadAll().ToList();

        Assert.Equal(2, samples.Count);
        Assert.Equal(7, reader.LineNumber);
        Assert.Equal("aé", samples[0].Comm);
        Assert.Equal(IPAddress.IPv6Loopback, samples[0].Endpoints.Local);
        Assert.Equal(EmitReason.ZeroWindowEnter | EmitReason.Heartbeat, samples[0].Reason);
        Assert.Equal(PendingTimer.Persist, samples[0].Pending);
        Assert.Null(samples[0].Wl1MovedAtBytesReceived);
        Assert.Equal(0, samples[0].Backoff);
        Assert.Equal(EmitReason.Probes | EmitReason.First | (EmitReason)256, samples[1].Reason);
        Assert.Equal(PendingTimer.LossProbe, samples[1].Pending);
        Assert.Equal(3, samples[1].Backoff);
        Assert.Equal(11U, samples[1].Unsent);
        Assert.Equal(4UL, samples[1].Wl1MovedAtBytesReceived);
        Assert.Equal(10UL << 14, samples[1].AdvertisedWindow);
    }

    private static void Write(Stream file, SampleFormat format, List<TcpSample> samples)
    {
        if (format == SampleFormat.Recording)
        {
            using var writer = new RecordingWriter(file, Header, leaveOpen: true);
            samples.ForEach(s => writer.Write(s));
        }
        else
        {
            using var writer = new JsonLinesWriter(file, leaveOpen: true);
            samples.ForEach(s => writer.Write(s));
        }
    }
}

/// <summary>A pipe-like stream: no seeking, and reads return at most 7 bytes.</summary>
internal sealed class ForwardOnlyStream(byte[] data) : Stream
{
    private int position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = Math.Min(Math.Min(count, 7), data.Length - position);
        Array.Copy(data, position, buffer, offset, n);
        position += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
