using System.Buffers.Binary;
using System.Text;
using Tracer.Analysis.Recording;

namespace Tracer.Analysis.Tests;

public sealed class BadInputTests
{
    private static readonly RecordingHeader Header = new("6.1.0", DateTimeOffset.UnixEpoch.AddYears(54), 0);

    private const string GoodLine =
        "{\"ts_ns\": 1, \"cookie\": 2, \"pid\": 3, \"comm\": \"c\", \"family\": \"inet\", \"saddr\": \"10.0.0.1\", \"sport\": 1, "
        + "\"daddr\": \"10.0.0.2\", \"dport\": 2, \"snd_una\": 1, \"snd_nxt\": 1, \"snd_wnd\": 0, \"snd_wl1\": 1, \"rcv_nxt\": 1, "
        + "\"bytes_received\": 0, \"bytes_acked\": 0, \"seg_seq\": 1, \"seg_ack\": 1, \"seg_win\": 0, \"snd_wscale\": 7, \"probes_out\": 0}";

    /// <summary>A recording of three samples and the byte offset of each record.</summary>
    private static (byte[] Bytes, long[] Offsets) Recording()
    {
        using var file = new MemoryStream();
        var offsets = new long[3];
        using (var writer = new RecordingWriter(file, Header, leaveOpen: true))
        {
            for (var i = 0; i < 3; i++)
            {
                writer.Flush();
                offsets[i] = file.Position;
                writer.Write(Samples.Connection() with { TimestampNs = (ulong)i });
            }
        }

        return (file.ToArray(), offsets);
    }

    /// <summary>Reads everything it can, then returns how many samples came before the exception.</summary>
    private static (int Read, ReplayFormatException Error) ReadUntilError(byte[] bytes, string name = "capture.trec")
    {
        var read = 0;
        var error = Assert.Throws<ReplayFormatException>(() =>
        {
            using var source = SampleSource.Open(new MemoryStream(bytes), name);
            foreach (var unused in source.ReadAll())
            {
                read++;
            }
        });
        return (read, error);
    }

    [Fact]
    public void TruncatedRecordingNamesTheOffsetAfterYieldingWhatCameBefore()
    {
        var (bytes, offsets) = Recording();

        var (read, error) = ReadUntilError(bytes[..(int)(offsets[2] + 50)]);

        Assert.Equal(2, read);
        Assert.Equal(offsets[2], error.ByteOffset);
        Assert.Equal($"capture.trec: byte offset {offsets[2]}: truncated record: 50 of {bytes.Length - offsets[2]} bytes", error.Message);
    }

    [Fact]
    public void RecordingCutInsideARecordHeaderIsTruncated()
    {
        var (bytes, offsets) = Recording();

        var (read, error) = ReadUntilError(bytes[..(int)(offsets[1] + 3)]);

        Assert.Equal(1, read);
        Assert.Contains($"byte offset {offsets[1]}: truncated record header: 3 of 8 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptRecordFailsItsChecksum()
    {
        var (bytes, offsets) = Recording();
        bytes[offsets[1] + 30] ^= 0x10;

        var (read, error) = ReadUntilError(bytes);

        Assert.Equal(1, read);
        Assert.Equal(offsets[1], error.ByteOffset);
        Assert.EndsWith("corrupt record: checksum mismatch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedHeader()
    {
        var (bytes, _) = Recording();

        var error = Assert.Throws<ReplayFormatException>(() => SampleSource.Open(new MemoryStream(bytes[..20])));

        Assert.Equal("byte offset 0: truncated header: 20 of 39 bytes", error.Message);
    }

    [Fact]
    public void WrongMagic()
    {
        var (bytes, _) = Recording();
        bytes[3] = (byte)'X';

        var error = Assert.Throws<ReplayFormatException>(() => new RecordingReader(new MemoryStream(bytes)));

        Assert.Equal("byte offset 0: not a tracer recording (bad magic)", error.Message);
    }

    [Fact]
    public void NewerVersionSaysSo()
    {
        var (bytes, _) = Recording();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), RecordingFormat.Version + 1);

        var error = Assert.Throws<ReplayFormatException>(() => SampleSource.Open(new MemoryStream(bytes), "new.trec"));

        Assert.Equal(
            "new.trec: byte offset 8: recording format version 2 is newer than this tracer reads (version 1); use a newer tracer",
            error.Message);
    }

    [Fact]
    public void UnknownRecordTypesAreSkipped()
    {
        var (bytes, offsets) = Recording();
        var unknown = new byte[12];
        BinaryPrimitives.WriteUInt16LittleEndian(unknown, 12);
        unknown[2] = 99;
        BinaryPrimitives.WriteUInt32LittleEndian(unknown.AsSpan(8), 0xDEADBEEF);
        BinaryPrimitives.WriteUInt32LittleEndian(unknown.AsSpan(4), Checksum.Crc32C(unknown.AsSpan(8)));
        var withUnknown = bytes[..(int)offsets[1]].Concat(unknown).Concat(bytes[(int)offsets[1]..]).ToArray();

        using var source = SampleSource.Open(new MemoryStream(withUnknown));

        Assert.Equal([0UL, 1UL, 2UL], source.ReadAll().Select(s => s.TimestampNs));
    }

    [Fact]
    public void MissingRequiredFieldNamesLineAndField()
    {
        var text = $"# two samples, the second without snd_wl1\n{GoodLine}\n{GoodLine.Replace("\"snd_wl1\": 1, ", "", StringComparison.Ordinal)}\n{GoodLine}\n";

        var (read, error) = ReadUntilError(Encoding.UTF8.GetBytes(text), "hand.jsonl");

        Assert.Equal(1, read);
        Assert.Equal(3, error.LineNumber);
        Assert.Equal("snd_wl1", error.Field);
        Assert.Equal("hand.jsonl: line 3, field 'snd_wl1': missing required field", error.Message);
    }

    [Theory]
    [InlineData("\"snd_wnd\": 0", "\"snd_wnd\": \"zero\"", "snd_wnd", "expected a number, got a string")]
    [InlineData("\"snd_wnd\": 0", "\"snd_wnd\": -1", "snd_wnd", "expected an integer from 0 to 4294967295, got -1")]
    [InlineData("\"seg_win\": 0", "\"seg_win\": 65536", "seg_win", "expected an integer from 0 to 65535, got 65536")]
    [InlineData("\"snd_wscale\": 7", "\"snd_wscale\": 15", "snd_wscale", "expected an integer from 0 to 14, got 15")]
    [InlineData("\"ts_ns\": 1", "\"ts_ns\": 1.5", "ts_ns", "expected an integer from 0 to 18446744073709551615, got 1.5")]
    [InlineData("\"saddr\": \"10.0.0.1\"", "\"saddr\": \"10.0.0.300\"", "saddr", "not an IP address: 10.0.0.300")]
    [InlineData("\"saddr\": \"10.0.0.1\"", "\"saddr\": \"::1\"", "saddr", "::1 is not an address of family inet")]
    [InlineData("\"family\": \"inet\"", "\"family\": \"ipx\"", "family", "expected \"inet\", \"inet6\", 2 or 10")]
    [InlineData("\"probes_out\": 0}", "\"probes_out\": 0, \"pending\": \"soon\"}", "pending", "expected a number or one of none, retransmit, delayed_ack, persist, loss_probe, reorder_timeout")]
    [InlineData("\"probes_out\": 0}", "\"probes_out\": 0, \"reason\": [\"bored\"]}", "reason", "expected one of every_segment, zero_window_enter, zero_window_leave, wl1_lag, update_ignored, probes, heartbeat, first or a number")]
    public void BadFieldNamesLineAndField(string good, string bad, string field, string detail)
    {
        var text = $"{GoodLine}\n\n{GoodLine.Replace(good, bad, StringComparison.Ordinal)}\n";

        var (read, error) = ReadUntilError(Encoding.UTF8.GetBytes(text), "hand.jsonl");

        Assert.Equal(1, read);
        Assert.Equal($"hand.jsonl: line 3, field '{field}': {detail}", error.Message);
    }

    [Theory]
    [InlineData("{\"ts_ns\": 1,", "line 2: invalid JSON at column 12")]
    [InlineData("{\"ts_ns\": 1} {}", "line 2: unexpected text after the object at column 13")]
    [InlineData("[1, 2]", "line 2: expected a JSON object")]
    [InlineData("  {\"ts_ns\": tru}", "line 2, field 'ts_ns': invalid JSON at column 16")]
    public void MalformedLine(string line, string message)
    {
        var (read, error) = ReadUntilError(Encoding.UTF8.GetBytes($"{GoodLine}\n{line}\n"), "x.jsonl");

        Assert.Equal(1, read);
        Assert.Equal("x.jsonl: " + message, error.Message);
    }

    /// <summary>Inputs the reader fuzzer found; <paramref name="latin1Line"/> is read as Latin-1 so each char is one byte of the file.</summary>
    [Theory]
    [InlineData("{\"ts_n\u00C3\": 1}", "line 2: invalid UTF-8 at column 7")]
    [InlineData("{\"comm\": \"\u00FF\"}", "line 2: invalid UTF-8 at column 11")]
    [InlineData("{\"\\ud800\": 1}", "line 2: a string escapes a lone UTF-16 surrogate")]
    [InlineData("{\"comm\": \"x\\udc00\"}", "line 2, field 'comm': a string escapes a lone UTF-16 surrogate")]
    [InlineData("{\"kind\": \"\\ud800\\u0041\"}", "line 2, field 'kind': a string escapes a lone UTF-16 surrogate")]
    [InlineData("{\"family\": \"\\ud800\"}", "line 2, field 'family': a string escapes a lone UTF-16 surrogate")]
    [InlineData("{\"saddr\": \"\\udfff\"}", "line 2, field 'saddr': a string escapes a lone UTF-16 surrogate")]
    [InlineData("{\"saddr\": \"1111111111111111111111111111111111111111111111111111111111111111111111\"}",
        "line 2, field 'saddr': not an IP address: 1111111111111111111111111111111111111111…")]
    [InlineData("{\"snd_wnd\": 99999999999999999999999999999999999999999999999999999999999999}",
        "line 2, field 'snd_wnd': expected an integer from 0 to 4294967295, got 9999999999999999999999999999999999999999…")]
    public void UndecodableTextNamesLineAndField(string latin1Line, string message)
    {
        var (read, error) = ReadUntilError([.. Encoding.UTF8.GetBytes(GoodLine + "\n"), .. Encoding.Latin1.GetBytes(latin1Line + "\n")], "x.jsonl");

        Assert.Equal(1, read);
        Assert.Equal("x.jsonl: " + message, error.Message);
    }

    [Fact]
    public void ForeignInputFromAPipeShowsItsFirstEightBytes()
    {
        var error = Assert.Throws<ReplayFormatException>(() => SampleSource.Open(new ForwardOnlyStream("hello, world\n"u8.ToArray()), "pipe"));

        Assert.Equal("pipe: byte offset 0: neither a tracer recording nor JSON Lines samples (starts with 0x68656C6C6F2C2077)", error.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomBytesAreRejected(int seed)
    {
        var bytes = new byte[4096];
        new Random(seed).NextBytes(bytes);

        var (read, _) = ReadUntilError(bytes);

        Assert.Equal(0, read);
    }

    [Fact]
    public void ForeignTextIsNeitherFormat()
    {
        var error = Assert.Throws<ReplayFormatException>(() => SampleSource.Open(new MemoryStream("hello, world\n"u8.ToArray()), "notes.txt"));

        Assert.Equal("notes.txt: byte offset 0: neither a tracer recording nor JSON Lines samples (starts with 0x68656C6C6F2C2077)", error.Message);
    }

    [Fact]
    public void EmptyInputHasNoSamples()
    {
        using var source = SampleSource.Open(new MemoryStream());

        Assert.Equal(SampleFormat.JsonLines, source.Format);
        Assert.Empty(source.ReadAll());
    }

    [Fact]
    public void OverlongLineIsRejected()
    {
        var text = GoodLine + "\n{\"pad\": \"" + new string('x', JsonLinesSampleReader.MaxLineBytes) + "\"}\n";

        var (read, error) = ReadUntilError(Encoding.UTF8.GetBytes(text), "big.jsonl");

        Assert.Equal(1, read);
        Assert.Equal($"big.jsonl: line 2: line longer than {JsonLinesSampleReader.MaxLineBytes} bytes", error.Message);
    }

    [Fact]
    public void WriterRejectsAnOverlongProcessName()
    {
        using var writer = new RecordingWriter(new MemoryStream(), Header);

        Assert.Throws<ArgumentException>(() => writer.Write(Samples.Connection() with { Comm = new string('p', 256) }));
    }
}
