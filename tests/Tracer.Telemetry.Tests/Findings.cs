using System.Net;
using Tracer.Analysis;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Tcp;

namespace Tracer.Telemetry.Tests;

/// <summary>Findings of one connection, at monotonic times given in seconds.</summary>
internal static class Findings
{
    public const ulong Cookie = 42;
    public const int Pid = 4711;
    public static readonly Endpoints Tuple = Endpoints.FromAddresses(IPAddress.Parse("192.168.10.20"), 51034, IPAddress.Parse("192.168.10.5"), 873);

    /// <summary>Monotonic 0 is this wall-clock instant.</summary>
    public static readonly DateTime Boot = new(2024, 5, 1, 12, 0, 0, DateTimeKind.Utc);

    public static DateTime Wall(ulong ns) => Boot.AddTicks((long)(ns / 100));

    public static ulong Ns(double seconds) => (ulong)(seconds * 1e9);

    public static ZeroWindowStartFinding Start(double zeroSince, double reported) =>
        new(Ns(reported), Cookie, Pid, "rsync", Tuple, ZeroWindowTrigger.WindowClosed, Ns(zeroSince), false, 1000, 2000, 392827);

    public static WindowUpdateIgnoredFinding Ignored(double at) =>
        new(Ns(at), Cookie, Pid, "rsync", Tuple, 1253278418, 1708927328, 4212361596, 4212361596, 13831, 7, 13831UL << 7, 0, 3_840_000_000, -455648910, IgnoreCause.Wl1Wrapped);

    public static StuckFinding Stuck(double zeroSince, double at) =>
        new(Ns(at), Cookie, Pid, "rsync", Tuple, Ns(zeroSince), Ns(at - zeroSince), false,
            1253278418, 1708927328, 4212361596, 4212361596, 13831, 7, 13831UL << 7, 392827, 3_840_000_000, -455648910, IgnoreCause.Wl1Wrapped);

    public static EpisodeSummary Episode(double zeroSince, double duration, int ignored = 0) =>
        new(Ns(zeroSince), Ns(duration), false, 2, 3, [0, 13831UL << 7], 13831UL << 7, ignored);

    public static ZeroWindowEndFinding End(double zeroSince, double end) =>
        new(Ns(end), Cookie, Pid, "rsync", Tuple, Episode(zeroSince, end - zeroSince), 95232);

    public static ZeroWindowOpenFinding Open(double zeroSince, double end, bool stuck) =>
        new(Ns(end), Cookie, Pid, "rsync", Tuple, Episode(zeroSince, end - zeroSince, stuck ? 1 : 0), stuck, TrackingEnd.EndOfTrace);
}
