using Tracer.Analysis.Overhead;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Tcp;
using Tracer.Bpf.Tcp;
using Tracer.Interop;

namespace Tracer.Pipeline.Sources;

/// <summary>
/// Samples from a recording or a JSON Lines file, in file order. Its clock is the latest
/// sample's time, so the engine's housekeeping runs on the trace's own time, as it did live.
/// </summary>
public sealed class FileTcpSource : ITcpSampleSource
{
    private const int Batch = 4096;

    private readonly SampleSource file;
    private readonly IEnumerator<TcpSample> samples;
    private bool ended;
    private ulong? start;

    /// <param name="freezeWl1">Replay as a kernel with the bulk-receiver fast-path bug would have seen it (snd_wl1 never moves).</param>
    public FileTcpSource(SampleSource file, bool freezeWl1 = false)
    {
        ArgumentNullException.ThrowIfNull(file);
        this.file = file;
        samples = (freezeWl1 ? Wl1Freezer.Freeze(file.ReadAll()) : file.ReadAll()).GetEnumerator();
    }

    public ulong NowNs { get; private set; }

    public DetailLevel Detail
    {
        set { }
    }

    /// <summary>The recording's header (kernel release, clock offset); null for JSON Lines.</summary>
    public RecordingHeader? Header => file.Header;

    /// <summary>Kernel timestamps as wall-clock time, from the recording's header; null for JSON Lines (monotonic times only).</summary>
    public Func<ulong, DateTime>? WallClock => file.Header is { } header
        ? ts => header.ToWallClock(ts).UtcDateTime
        : null;

    /// <summary>The first sample's timestamp: the start that a replay's times are relative to.</summary>
    public ulong StartNs => start ?? 0;

    public static FileTcpSource Open(string path, bool freezeWl1 = false)
    {
        var file = SampleSource.Open(path);
        try
        {
            return new FileTcpSource(file, freezeWl1);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public bool WaitOn(WaitSet waits) => false;

    public bool Poll(TcpSampleHandler onSample)
    {
        ArgumentNullException.ThrowIfNull(onSample);
        for (var n = 0; n < Batch; n++)
        {
            if (ended || !samples.MoveNext())
            {
                ended = true;
                return false;
            }

            var sample = samples.Current;
            start ??= sample.TimestampNs;
            NowNs = Math.Max(NowNs, sample.TimestampNs);
            onSample(sample);
        }

        return true;
    }

    public void Drain(TcpSampleHandler onSample)
    {
    }

    public LoadState Load(ulong samples) => LoadState.Empty with { Samples = samples };

    public void Dispose()
    {
        samples.Dispose();
        file.Dispose();
    }
}
