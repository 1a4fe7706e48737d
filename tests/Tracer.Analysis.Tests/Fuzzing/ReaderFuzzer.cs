using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Tcp;
using Xunit.Abstractions;

namespace Tracer.Analysis.Tests.Fuzzing;

/// <summary>What reading one input gave: every sample handed out, then the error if reading stopped on one.</summary>
internal sealed record ReadOutcome(List<TcpSample> Samples, Exception? Error)
{
    public const string SourceName = "fuzz";

    /// <summary>Reads all samples through <see cref="SampleSource"/> and, for recordings, maps each timestamp to wall-clock time as replay does.</summary>
    public static ReadOutcome Of(Stream stream)
    {
        var samples = new List<TcpSample>();
        try
        {
            using var source = SampleSource.Open(stream, SourceName);
            foreach (var sample in source.ReadAll())
            {
                source.Header?.ToWallClock(sample.TimestampNs);
                samples.Add(sample);
            }

            return new(samples, null);
        }
        catch (Exception e)
        {
            return new(samples, e);
        }
    }

    public static ReadOutcome Of(byte[] input) => Of(new MemoryStream(input, writable: false));
}

/// <summary>
/// Feeds mutated inputs to the readers until a time or case budget runs out and fails on the first
/// input that escapes with anything but a <see cref="ReplayFormatException"/> naming a position in
/// the input, allocates out of proportion to its size, reads differently in 7-byte pieces, or runs
/// past <see cref="CaseTimeout"/>. Case n of a run is a pure function of the run's seed and n,
/// so a failure replays with TRACER_FUZZ_SEED and TRACER_FUZZ_CASE.
/// </summary>
internal sealed partial class ReaderFuzzer(string target, Func<Random, byte[]> generate, ITestOutputHelper output)
{
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(5);
    private const int MaxMessageChars = 400;
    private const int MaxChunkedInputBytes = 64 * 1024;
    private const long FixedAllocationAllowance = 8 * 1024 * 1024;
    private const int AllocationPerInputByte = 16;

    private long casesRun;
    private long currentCase = -1;
    private long currentCaseStarted;
    private byte[]? currentInput;
    private string? failure;

    /// <summary>Runs the budget from TRACER_FUZZ_SECONDS (default <paramref name="defaultSeconds"/>) and TRACER_FUZZ_ITERATIONS.</summary>
    public void Run(double defaultSeconds)
    {
        var seed = Environment.GetEnvironmentVariable("TRACER_FUZZ_SEED") is { } text
            ? ulong.Parse(text.Replace("0x", "", StringComparison.OrdinalIgnoreCase), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : (ulong)Random.Shared.NextInt64();
        var only = Environment.GetEnvironmentVariable("TRACER_FUZZ_CASE") is { } one ? long.Parse(one, CultureInfo.InvariantCulture) : (long?)null;
        var seconds = Environment.GetEnvironmentVariable("TRACER_FUZZ_SECONDS") is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : defaultSeconds;
        var maxCases = Environment.GetEnvironmentVariable("TRACER_FUZZ_ITERATIONS") is { } n ? long.Parse(n, CultureInfo.InvariantCulture) : 1_000_000;
        var first = only ?? 0;
        var end = only + 1 ?? maxCases;
        var budget = TimeSpan.FromSeconds(seconds);
        output.WriteLine($"{target}: seed 0x{seed:x16}, up to {end - first} cases in {budget.TotalSeconds} s");

        var clock = Stopwatch.StartNew();
        var worker = new Thread(() => Loop(seed, first, end, clock, budget)) { IsBackground = true, Name = $"fuzz {target}" };
        worker.Start();
        while (!worker.Join(100))
        {
            var started = Interlocked.Read(ref currentCaseStarted);
            if (Interlocked.Read(ref currentCase) >= 0 && Stopwatch.GetElapsedTime(started) > CaseTimeout)
            {
                Fail(seed, Interlocked.Read(ref currentCase), Volatile.Read(ref currentInput)!, $"still running after {CaseTimeout.TotalSeconds} s");
                break;
            }
        }

        var elapsed = clock.Elapsed.TotalSeconds;
        output.WriteLine($"{target}: {casesRun} inputs in {elapsed:F1} s ({casesRun / elapsed:F0} per second)");
        Assert.True(failure is null, failure);
        Assert.True(only is not null || casesRun > 0, "no case ran");
    }

    private void Loop(ulong seed, long first, long end, Stopwatch clock, TimeSpan budget)
    {
        for (var index = first; index < end && clock.Elapsed < budget && failure is null; index++)
        {
            var input = generate(new Random(CaseSeed(seed, index)));
            Volatile.Write(ref currentInput, input);
            Interlocked.Exchange(ref currentCaseStarted, Stopwatch.GetTimestamp());
            Interlocked.Exchange(ref currentCase, index);
            var problem = Check(input);
            Interlocked.Exchange(ref currentCase, -1);
            if (problem is not null)
            {
                Fail(seed, index, input, problem);
            }

            casesRun++;
        }
    }

    /// <summary>The first broken promise of the readers on this input, or null.</summary>
    public static string? Check(byte[] input)
    {
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var whole = ReadOutcome.Of(input);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        var allowed = FixedAllocationAllowance + (AllocationPerInputByte * (long)input.Length);
        if (allocated > allowed)
        {
            return $"allocated {allocated} bytes reading {input.Length} (allowed {allowed})";
        }

        if (whole.Error is { } error && ProblemWith(error, input) is { } problem)
        {
            return problem;
        }

        if (input.Length <= MaxChunkedInputBytes)
        {
            var chunked = ReadOutcome.Of(new ForwardOnlyStream(input));
            if (!chunked.Samples.SequenceEqual(whole.Samples) || chunked.Error?.Message != whole.Error?.Message)
            {
                return $"7-byte reads gave {chunked.Samples.Count} samples and \"{chunked.Error?.Message}\", "
                    + $"whole reads {whole.Samples.Count} and \"{whole.Error?.Message}\"";
            }
        }

        return null;
    }

    private static string? ProblemWith(Exception error, byte[] input)
    {
        if (error is not ReplayFormatException)
        {
            return $"escaped with {error}";
        }

        var message = error.Message;
        if (message.Length > MaxMessageChars || message.Contains('\n', StringComparison.Ordinal) || message.Contains('\r', StringComparison.Ordinal))
        {
            return $"message is not one short line ({message.Length} chars): {message[..Math.Min(message.Length, MaxMessageChars)]}";
        }

        var where = Position().Match(message);
        if (!where.Success)
        {
            return $"message names no position: {message}";
        }

        if (where.Groups["offset"].Success && long.Parse(where.Groups["offset"].Value, CultureInfo.InvariantCulture) > input.Length)
        {
            return $"offset beyond the {input.Length}-byte input: {message}";
        }

        var lines = input.Count(b => b == (byte)'\n') + 1;
        if (where.Groups["line"].Success && long.Parse(where.Groups["line"].Value, CultureInfo.InvariantCulture) is var line && (line < 1 || line > lines))
        {
            return $"line beyond the {lines}-line input: {message}";
        }

        return null;
    }

    private void Fail(ulong seed, long index, byte[] input, string problem)
    {
        var saved = Path.Combine(Path.GetTempPath(), $"tracer-fuzz-{target}-{seed:x16}-{index}.bin");
        File.WriteAllBytes(saved, input);
        failure = $"{target} case {index}: {problem}\ninput ({input.Length} bytes) saved to {saved}\n"
            + $"replay: TRACER_FUZZ_SEED=0x{seed:x16} TRACER_FUZZ_CASE={index} dotnet test tests/Tracer.Analysis.Tests -c Release --filter FullyQualifiedName~ReaderFuzzTests";
        output.WriteLine(failure);
    }

    /// <summary>SplitMix64 of seed and index: independent case streams from one seed.</summary>
    private static int CaseSeed(ulong seed, long index)
    {
        var z = seed + ((ulong)index * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)(z ^ (z >> 31));
    }

    [GeneratedRegex(@"^fuzz: (byte offset (?<offset>\d+)|line (?<line>\d+)(, field '[a-z0-9_]+')?): \S")]
    private static partial Regex Position();
}
