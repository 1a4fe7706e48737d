using System.Net;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Tests;

internal sealed class FindingCollector : IFindingSink
{
    public List<Finding> Findings { get; } = [];

    public void Emit(Finding finding) => Findings.Add(finding);
}

internal static class Fixtures
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string PathOf(string name) => Path.Combine(Directory, name);

    public static List<TcpSample> Read(string path)
    {
        using var source = SampleSource.Open(path);
        return [.. source.ReadAll()];
    }
}

internal static class Analysis
{
    /// <summary>Runs the analyzer over the samples and flushes at the last timestamp; its findings are all about connections.</summary>
    public static List<ConnectionFinding> Run(IEnumerable<TcpSample> samples, TcpWindowAnalyzerOptions? options = null)
    {
        var sink = new FindingCollector();
        var analyzer = new TcpWindowAnalyzer(sink, options);
        foreach (var sample in samples)
        {
            analyzer.Observe(sample);
        }

        analyzer.Flush(analyzer.LastTimestampNs);
        return sink.Findings.Cast<ConnectionFinding>().ToList();
    }
}

/// <summary>Hand-made samples of one IPv4 connection with window scale 7.</summary>
internal static class Samples
{
    public const ulong Second = 1_000_000_000;
    public const ulong Millisecond = 1_000_000;

    public static readonly Endpoints Endpoints =
        Endpoints.FromAddresses(IPAddress.Parse("10.1.0.1"), 40100, IPAddress.Parse("10.1.0.2"), 5201);

    public static TcpSample Connection(ulong cookie = 7, ulong timestampNs = 1000 * Second) => new()
    {
        TimestampNs = timestampNs,
        Cookie = cookie,
        Pid = 321,
        Comm = "iperf3",
        Endpoints = Endpoints,
        SndUna = 5000,
        SndNxt = 5000,
        SndWnd = 65536,
        SndWl1 = 900_000,
        RcvNxt = 1_000_000,
        BytesReceived = 10_000_000,
        BytesAcked = 20_000,
        SegSeq = 1_000_000,
        SegAck = 5000,
        SegWin = 512,
        SndWscale = 7,
    };
}

/// <summary>A bitwise CRC-32C, independent of the product's, for tests that build records by hand.</summary>
internal static class Checksum
{
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = ~0u;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }
        }

        return ~crc;
    }
}
