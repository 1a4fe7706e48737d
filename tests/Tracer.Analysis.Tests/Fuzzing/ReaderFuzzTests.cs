using System.Net;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Tcp;
using Xunit.Abstractions;

namespace Tracer.Analysis.Tests.Fuzzing;

/// <summary>
/// Bounded fuzzing of the recording and JSON Lines readers, seeded from files written by
/// <see cref="RecordingWriter"/> and <see cref="JsonLinesWriter"/> and from the fixtures.
/// About 12 s per format by default; TRACER_FUZZ_SECONDS, TRACER_FUZZ_ITERATIONS,
/// TRACER_FUZZ_SEED and TRACER_FUZZ_CASE change the budget or replay a failure.
/// </summary>
public sealed class ReaderFuzzTests(ITestOutputHelper output)
{
    private const double DefaultSeconds = 12;

    private static readonly RecordingHeader Header = new("6.18.0-fuzz", DateTimeOffset.UnixEpoch.AddYears(55), 1_700_000_000_000_000_000);

    [Fact]
    public void RecordingReaderFailsCleanlyOnMutatedRecordings()
    {
        var seeds = Recordings();
        new ReaderFuzzer("recording", random => RecordingMutator.Mutate(random, seeds), output).Run(DefaultSeconds);
    }

    [Fact]
    public void JsonLinesReaderFailsCleanlyOnMutatedLines()
    {
        var seeds = JsonLinesFiles();
        new ReaderFuzzer("jsonl", random => JsonLinesMutator.Mutate(random, seeds), output).Run(DefaultSeconds);
    }

    [Fact]
    public void RecordingCutAtEveryOffsetKeepsEveryCompleteRecord()
    {
        foreach (var recording in Recordings())
        {
            var all = ReadOutcome.Of(recording);
            Assert.Null(all.Error);
            var headerLength = recording.Length - RecordingMutator.Records(recording).Sum(r => r.Length);
            var recordEnds = RecordingMutator.Records(recording).Select(r => r.Offset + r.Length).ToHashSet();
            for (var cut = 0; cut < recording.Length; cut++)
            {
                var prefix = ReadOutcome.Of(recording[..cut]);
                var complete = RecordingMutator.Records(recording).Count(r => r.Offset + r.Length <= cut && recording[r.Offset + 2] == 1);
                Assert.Equal(all.Samples.Take(complete), prefix.Samples);
                var clean = cut == 0 || cut == headerLength || recordEnds.Contains(cut);
                Assert.True(clean == prefix.Error is null, $"cut at {cut}: {prefix.Error?.Message}");
                Assert.Null(ReaderFuzzer.Check(recording[..cut]));
            }
        }
    }

    [Fact]
    public void JsonLinesCutAtEveryOffsetKeepsEveryCompleteLine()
    {
        foreach (var file in JsonLinesFiles().Where(f => f.Length < 16 * 1024))
        {
            var all = ReadOutcome.Of(file);
            Assert.Null(all.Error);
            for (var cut = 0; cut < file.Length; cut++)
            {
                var prefix = ReadOutcome.Of(file[..cut]);
                var lineStart = cut == 0 ? 0 : Array.LastIndexOf(file, (byte)'\n', cut - 1) + 1;
                var completeLines = ReadOutcome.Of(file[..lineStart]).Samples.Count;
                Assert.Equal(all.Samples.Take(prefix.Samples.Count), prefix.Samples);
                Assert.InRange(prefix.Samples.Count, completeLines, completeLines + 1);
                Assert.Null(ReaderFuzzer.Check(file[..cut]));
            }
        }
    }

    /// <summary>Valid recordings: empty, one sample, both families, every flag, names of 0 to 255 bytes, an unknown record type, the fixtures.</summary>
    private static List<byte[]> Recordings()
    {
        var samples = Variety();
        List<byte[]> recordings =
        [
            Recording(Header, []),
            Recording(Header, samples.Take(1)),
            Recording(Header, samples),
            Recording(Header with { KernelRelease = new string('k', 1024) }, samples.Take(2)),
            Recording(Header, Fixtures.Read(Fixtures.PathOf("incident-rsync.jsonl")).Take(12)),
            Recording(Header, Fixtures.Read(Fixtures.PathOf("bulk-synthetic.jsonl")).Take(12)),
        ];
        byte[] withUnknownRecord = [.. recordings[1], 12, 0, 77, 0, 0, 0, 0, 0, 1, 2, 3, 4, .. recordings[1].AsSpan(recordings[0].Length)];
        RecordingMutator.FixChecksums(withUnknownRecord);
        recordings.Add(withUnknownRecord);
        return recordings;
    }

    /// <summary>Valid JSON Lines: written by the tool (with findings' kind in between), the fixtures, hand-written variants.</summary>
    private static List<byte[]> JsonLinesFiles()
    {
        using var written = new MemoryStream();
        using (var writer = new JsonLinesWriter(written, leaveOpen: true))
        {
            foreach (var sample in Variety())
            {
                writer.Write(sample);
                writer.Write(w => w.WriteRawValue("{\"kind\": \"tcp.stuck\", \"message\": \"skipped\"}"));
            }
        }

        const string HandWritten = "\uFEFF# comment\r\n\r\n   \n"
            + "{\"ts_ns\": 5, \"cookie\": 9, \"pid\": 1, \"comm\": \"a\\u00e9\", \"family\": 10, \"saddr\": \"::1\", \"sport\": 1, \"daddr\": \"::2\", "
            + "\"dport\": 2, \"snd_una\": 1, \"snd_nxt\": 2, \"snd_wnd\": 3, \"snd_wl1\": 4, \"rcv_nxt\": 5, \"bytes_received\": 6, "
            + "\"bytes_acked\": 7, \"seg_seq\": 8, \"seg_ack\": 9, \"seg_win\": 10, \"snd_wscale\": 14, \"probes_out\": 2, "
            + "\"reason\": [\"probes\", \"first\", 256], \"pending\": 3, \"wl1_moved_at_bytes_received\": null, \"extra\": {\"x\": [1]}}\r\n";
        return
        [
            written.ToArray(),
            FirstLines("incident-rsync.jsonl", 16),
            FirstLines("bulk-synthetic.jsonl", 6),
            System.Text.Encoding.UTF8.GetBytes(HandWritten),
        ];
    }

    private static byte[] FirstLines(string fixture, int count) =>
        System.Text.Encoding.UTF8.GetBytes(string.Concat(File.ReadLines(Fixtures.PathOf(fixture)).Take(count).Select(line => line + "\n")));

    private static List<TcpSample> Variety()
    {
        var v6 = Endpoints.FromAddresses(IPAddress.Parse("2001:db8::10"), 443, IPAddress.Parse("2001:db8::20:1"), 61000);
        return
        [
            Samples.Connection(),
            Samples.Connection() with { Endpoints = v6, Comm = "wörker", Wl1MovedAtBytesReceived = 123_456_789_012, Pending = PendingTimer.Persist },
            Samples.Connection() with { Comm = "", Pid = 0, TimestampNs = ulong.MaxValue, Cookie = ulong.MaxValue, Reason = (EmitReason)uint.MaxValue },
            Samples.Connection() with { Comm = new string('p', 255), Pending = (PendingTimer)200, SndWscale = 14 },
        ];
    }

    private static byte[] Recording(RecordingHeader header, IEnumerable<TcpSample> samples)
    {
        using var file = new MemoryStream();
        using (var writer = new RecordingWriter(file, header, leaveOpen: true))
        {
            foreach (var sample in samples)
            {
                writer.Write(sample);
            }
        }

        return file.ToArray();
    }
}
