using Tracer.Analysis.Findings;

namespace Tracer.Analysis.Slab;

/// <summary>How the growth analysis judges a cache.</summary>
public sealed record SlabAnalyzerOptions
{
    /// <summary>Intervals per sliding window.</summary>
    public int WindowIntervals { get; init; } = 5;

    /// <summary>Consecutive windows a cache must grow in before it is a leak suspect.</summary>
    public int Windows { get; init; } = 3;

    /// <summary>Net objects a window must add to count as growth (smaller changes are noise).</summary>
    public long MinWindowGrowthObjects { get; init; } = 32;

    /// <summary>Stacks reported per cache.</summary>
    public int TopStacks { get; init; } = 3;

    /// <summary><c>slab.growth</c> findings per interval, largest byte growth first.</summary>
    public int TopGrowth { get; init; } = 10;

    /// <summary>Intervals kept for the trend sparkline.</summary>
    public int TrendLength { get; init; } = 24;
}

/// <summary>One cache's net growth after the latest interval.</summary>
public readonly record struct SlabCacheRate(string Name, long? ActiveObjects, double ObjectsPerSecond, double BytesPerSecond);

/// <summary>One cache as the live view shows it, after the latest interval.</summary>
public sealed record SlabCacheView(
    string Name, double AllocsPerSecond, double? FreesPerSecond, double ObjectsPerSecond, double BytesPerSecond,
    long? ActiveObjects, IReadOnlyList<long> Trend, StackShare? TopStack, bool Suspected);

/// <summary>
/// Turns a sequence of <see cref="SlabInterval"/>s into growth findings and leak
/// suspects. A cache is a leak suspect when its net object count grew in each of
/// the last <see cref="SlabAnalyzerOptions.Windows"/> windows and its sampled
/// outstanding objects are on average older than half that streak: they are kept, not churned.
/// </summary>
public sealed class SlabGrowthAnalyzer(IFindingSink sink, SlabAnalyzerOptions? options = null)
{
    private readonly SlabAnalyzerOptions options = options ?? new SlabAnalyzerOptions();
    private readonly Dictionary<string, CacheTrack> tracks = new(StringComparer.Ordinal);
    private readonly List<(ulong TimestampNs, long? SUnreclaimKb)> history = [];
    private readonly List<long> missedFrees = [];
    private SlabInterval? previous;

    public SlabInterval? Latest => previous;

    /// <summary>
    /// Caches whose net object count grew in each of the last <see cref="SlabAnalyzerOptions.Windows"/> windows:
    /// leak suspects once their sampled objects show they are kept.
    /// </summary>
    public IReadOnlyList<string> GrowingCaches =>
        tracks.Where(t => t.Value.Growing).Select(t => t.Key).Order(StringComparer.Ordinal).ToList();

    /// <summary>Caches after the latest interval, fastest-growing (bytes/s) first.</summary>
    public IEnumerable<SlabCacheView> Caches =>
        tracks.Values.Where(t => t.Net.Count > 0).Select(t => t.View()).OrderByDescending(v => v.BytesPerSecond).ThenByDescending(v => v.AllocsPerSecond);

    /// <summary>Each cache's latest net rate, unordered and without its trend: what the gauges take every tick.</summary>
    public IEnumerable<SlabCacheRate> Rates
    {
        get
        {
            foreach (var track in tracks.Values)
            {
                if (track.Rate() is { } rate)
                {
                    yield return rate;
                }
            }
        }
    }

    /// <summary>The cache's latest net rate; false when no interval has told it yet.</summary>
    public bool TryGetRate(string name, out SlabCacheRate rate)
    {
        if (tracks.TryGetValue(name, out var track) && track.Rate() is { } known)
        {
            rate = known;
            return true;
        }

        rate = default;
        return false;
    }

    public void Observe(SlabInterval interval)
    {
        ArgumentNullException.ThrowIfNull(interval);
        var counters = Merge(interval.Caches);
        history.Add((interval.TimestampNs, interval.SUnreclaimKb));
        TrimFront(history, HistoryLength);
        if (previous is null || interval.TimestampNs <= previous.TimestampNs)
        {
            foreach (var name in Names(counters, interval.Slabinfo))
            {
                Track(name).Remember(counters.GetValueOrDefault(name), interval.Slabinfo.GetValueOrDefault(name));
            }

            previous = interval;
            return;
        }

        var elapsed = interval.TimestampNs - previous.TimestampNs;
        var stacks = StacksByCache(interval);
        var allocators = TopAllocators(interval);
        var sunreclaimDelta = interval.SUnreclaimKb - previous.SUnreclaimKb;
        var missed = (long)(interval.MissedFrees - Math.Min(interval.MissedFrees, previous.MissedFrees));
        missedFrees.Add(missed);
        TrimFront(missedFrees, HistoryLength);
        var grown = new List<SlabGrowthFinding>();
        foreach (var name in Names(counters, interval.Slabinfo))
        {
            var track = Track(name);
            var c = counters.GetValueOrDefault(name);
            var info = interval.Slabinfo.GetValueOrDefault(name);
            var top = stacks.GetValueOrDefault(name) ?? [];
            var step = track.Step(c, info, elapsed, top, options.TrendLength, HistoryLength);
            if (step is not { } s)
            {
                continue;
            }

            // frees the kernel skipped (see SlabInterval.MissedFrees) can make any cache look that much bigger
            if (s.Net > (s.Source == NetSource.Kernel ? missed : 0))
            {
                grown.Add(new SlabGrowthFinding(interval.TimestampNs, name, elapsed, s.Net, s.Net * (long)track.ObjectSize, s.Source,
                    s.AllocsPerSecond, s.FreesPerSecond, s.SlabinfoDelta, interval.SUnreclaimKb, sunreclaimDelta, top, missed)
                {
                    Allocator = allocators.GetValueOrDefault(name),
                });
            }

            CheckLeak(name, track, interval, top, allocators.GetValueOrDefault(name));
        }

        foreach (var finding in grown.OrderByDescending(g => g.NetBytes).Take(options.TopGrowth))
        {
            sink.Emit(finding);
        }

        previous = interval;
    }

    /// <summary>An OOM kill with the slab as it is now: the largest caches and the ones growing.</summary>
    public SlabOomFinding Oom(OomVictim victim, SlabInterval now)
    {
        ArgumentNullException.ThrowIfNull(victim);
        ArgumentNullException.ThrowIfNull(now);
        var largest = now.Slabinfo.Values
            .Select(e => new CacheSize(e.Name, e.ActiveObjects, e.ActiveObjects * e.ObjectSize))
            .OrderByDescending(c => c.Bytes)
            .Take(5)
            .ToList();
        var growing = Caches.Where(v => v.ObjectsPerSecond > 0).Take(5).Select(v => v.Name).ToList();
        return new SlabOomFinding(victim.TimestampNs, victim.Pid, victim.Comm, victim.Uid, victim.TotalVmBytes, victim.TriggerPid, victim.TriggerComm,
            now.SUnreclaimKb, largest, growing);
    }

    private int HistoryLength => Math.Max(options.Windows * options.WindowIntervals + 1, options.TrendLength);

    /// <summary>Whether the cache grew by at least the minimum (plus the frees the kernel skipped) in every window of the streak.</summary>
    private bool SustainedGrowth(CacheTrack track)
    {
        var span = options.Windows * options.WindowIntervals;
        if (track.Net.Count < span)
        {
            return false;
        }

        for (var w = 0; w < options.Windows; w++)
        {
            var missedInWindow = Sum(missedFrees, missedFrees.Count - span + w * options.WindowIntervals, options.WindowIntervals);
            if (Sum(track.Net, track.Net.Count - span + w * options.WindowIntervals, options.WindowIntervals) < options.MinWindowGrowthObjects + missedInWindow)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The sum of up to <paramref name="count"/> values from <paramref name="start"/> (from the first when it is before it).</summary>
    private static long Sum(List<long> values, int start, int count)
    {
        long sum = 0;
        var from = Math.Max(0, start);
        for (var i = from; i < Math.Min(values.Count, from + count); i++)
        {
            sum += values[i];
        }

        return sum;
    }

    /// <summary>Every cache either source names, each once: the kernel's counters first, then those only /proc/slabinfo lists.</summary>
    private static IEnumerable<string> Names(Dictionary<string, SlabCacheCounters> counters, IReadOnlyDictionary<string, SlabinfoEntry> slabinfo)
    {
        foreach (var name in counters.Keys)
        {
            yield return name;
        }

        foreach (var name in slabinfo.Keys)
        {
            if (!counters.ContainsKey(name))
            {
                yield return name;
            }
        }
    }

    private void CheckLeak(string name, CacheTrack track, SlabInterval interval, IReadOnlyList<StackShare> top, ProcessIdentity allocator)
    {
        track.Growing = SustainedGrowth(track);
        if (!track.Growing)
        {
            track.Suspected = false;
            return;
        }

        if (track.Suspected)
        {
            return;
        }

        var span = options.Windows * options.WindowIntervals;
        var streakNs = track.Elapsed.Skip(track.Elapsed.Count - span).Aggregate(0UL, (a, b) => a + b);
        var samples = interval.Outstanding.Where(g => g.Cache == name).ToList();
        var sampled = samples.Sum(g => (long)g.Count);
        if (sampled == 0)
        {
            return;
        }

        var meanAge = (ulong)(samples.Sum(g => (double)g.Count * (interval.TimestampNs - Math.Min(interval.TimestampNs, g.MeanAllocNs))) / sampled);
        // objects kept since the streak began were allocated across it: on average at least half its length old
        if (meanAge < streakNs / 2)
        {
            return;
        }

        track.Suspected = true;
        var growth = track.Net.Skip(track.Net.Count - span).Sum();
        var startKb = history.Count > span ? history[^(span + 1)].SUnreclaimKb : history[0].SUnreclaimKb;
        sink.Emit(new SlabLeakSuspectFinding(interval.TimestampNs, name, streakNs, growth, growth * (long)track.ObjectSize, meanAge,
            interval.SUnreclaimKb - startKb, top)
        {
            Allocator = allocator,
        });
    }

    /// <summary>Per cache, the process with the most sampled outstanding objects.</summary>
    private static Dictionary<string, ProcessIdentity> TopAllocators(SlabInterval interval) =>
        interval.Outstanding
            .Where(g => g.Pid > 0)
            .GroupBy(g => g.Cache, StringComparer.Ordinal)
            .ToDictionary(
                byCache => byCache.Key,
                byCache => byCache.GroupBy(g => g.Pid)
                    .OrderByDescending(byPid => byPid.Sum(g => (long)g.Count)).ThenBy(byPid => byPid.Key)
                    .Select(byPid => new ProcessIdentity(byPid.Key, MostObjects(byPid), default))
                    .First(),
                StringComparer.Ordinal);

    /// <summary>The name a process had at most of its allocations: it may have renamed itself after its first ones (exec, prctl).</summary>
    private static string MostObjects(IEnumerable<OutstandingGroup> groups) =>
        groups.GroupBy(g => g.Comm, StringComparer.Ordinal).MaxBy(byComm => byComm.Sum(g => (long)g.Count))!.Key;

    private Dictionary<string, IReadOnlyList<StackShare>> StacksByCache(SlabInterval interval)
    {
        var sampleEvery = Math.Max(1, interval.SampleEvery);
        return interval.Outstanding
            .GroupBy(g => g.Cache, StringComparer.Ordinal)
            .ToDictionary(
                byCache => byCache.Key,
                byCache => (IReadOnlyList<StackShare>)byCache
                    .GroupBy(g => g.Path, StringComparer.Ordinal)
                    .Select(byStack =>
                    {
                        var first = byStack.First();
                        var comms = byStack.GroupBy(g => g.Comm, StringComparer.Ordinal)
                            .Select(c => (c.Key, c.Sum(g => (long)g.Count) * sampleEvery))
                            .OrderByDescending(c => c.Item2).ToList();
                        return new StackShare(first.Path, first.Frames, byStack.Sum(g => (long)g.Count) * sampleEvery,
                            byStack.Aggregate(0UL, (a, g) => a + g.Bytes) * sampleEvery, comms);
                    })
                    .OrderByDescending(s => s.Bytes)
                    .Take(options.TopStacks)
                    .ToList(),
                StringComparer.Ordinal);
    }

    private static Dictionary<string, SlabCacheCounters> Merge(IReadOnlyList<SlabCacheCounters> caches)
    {
        var merged = new Dictionary<string, SlabCacheCounters>(StringComparer.Ordinal);
        foreach (var c in caches)
        {
            merged[c.Name] = merged.TryGetValue(c.Name, out var known)
                ? known with
                {
                    Allocs = known.Allocs + c.Allocs,
                    Frees = known.Frees + c.Frees,
                    AllocBytes = known.AllocBytes + c.AllocBytes,
                    ObjectSize = Math.Max(known.ObjectSize, c.ObjectSize),
                }
                : c;
        }

        return merged;
    }

    private CacheTrack Track(string name)
    {
        if (!tracks.TryGetValue(name, out var track))
        {
            track = new CacheTrack(name);
            tracks[name] = track;
        }

        return track;
    }

    private static void TrimFront<T>(List<T> list, int length)
    {
        if (list.Count > length)
        {
            list.RemoveRange(0, list.Count - length);
        }
    }

    private readonly record struct Step(long Net, NetSource Source, double AllocsPerSecond, double? FreesPerSecond, long? SlabinfoDelta);

    private sealed class CacheTrack(string name)
    {
        private ulong allocs;
        private ulong? frees;
        private long? activeObjects;
        private double allocsPerSecond;
        private double? freesPerSecond;
        private StackShare? topStack;

        public List<long> Net { get; } = [];

        public List<ulong> Elapsed { get; } = [];

        public ulong ObjectSize { get; private set; }

        public bool Suspected { get; set; }

        /// <summary>Grew in every window of the streak, as of the latest interval that told its net change.</summary>
        public bool Growing { get; set; }

        public void Remember(SlabCacheCounters? c, SlabinfoEntry? info)
        {
            if (c is not null)
            {
                allocs = c.Allocs;
                frees = c.Frees;
                ObjectSize = Math.Max(ObjectSize, c.ObjectSize);
            }
            else
            {
                // the kernel counts nothing now; if it counts again, it counts from zero
                allocs = 0;
                frees = null;
            }

            if (info is not null)
            {
                activeObjects = info.ActiveObjects;
                ObjectSize = ObjectSize == 0 ? (ulong)info.ObjectSize : ObjectSize;
            }
        }

        /// <summary>Advances by one interval; null when nothing tells this cache's net change.</summary>
        public Step? Step(SlabCacheCounters? c, SlabinfoEntry? info, ulong elapsedNs, IReadOnlyList<StackShare> top, int trendLength, int historyLength)
        {
            var seconds = elapsedNs / 1e9;
            long? kernelNet = null;
            if (c is not null)
            {
                var allocDelta = (long)(c.Allocs - Math.Min(c.Allocs, allocs));
                allocsPerSecond = allocDelta / seconds;
                freesPerSecond = null;
                if (c.Frees is { } f)
                {
                    var freeDelta = (long)(f - Math.Min(f, frees ?? 0));
                    freesPerSecond = freeDelta / seconds;
                    kernelNet = allocDelta - freeDelta;
                }
            }
            else
            {
                allocsPerSecond = 0;
                freesPerSecond = null;
            }

            long? slabinfoDelta = info is not null && activeObjects is { } before ? info.ActiveObjects - before : null;
            Remember(c, info);
            topStack = top.Count > 0 ? top[0] : null;
            if ((kernelNet ?? slabinfoDelta) is not { } net)
            {
                return null;
            }

            Net.Add(net);
            Elapsed.Add(elapsedNs);
            TrimFront(Net, Math.Max(trendLength, historyLength));
            TrimFront(Elapsed, Math.Max(trendLength, historyLength));
            return new Step(net, kernelNet is null ? NetSource.Slabinfo : NetSource.Kernel, allocsPerSecond, freesPerSecond, slabinfoDelta);
        }

        public SlabCacheRate? Rate()
        {
            if (Net.Count == 0)
            {
                return null;
            }

            var objectsPerSecond = Net[^1] / (Math.Max(Elapsed[^1], 1) / 1e9);
            return new SlabCacheRate(name, activeObjects, objectsPerSecond, objectsPerSecond * ObjectSize);
        }

        public SlabCacheView View()
        {
            var seconds = Math.Max(Elapsed[^1], 1) / 1e9;
            var objectsPerSecond = Net[^1] / seconds;
            return new SlabCacheView(name, allocsPerSecond, freesPerSecond, objectsPerSecond, objectsPerSecond * ObjectSize,
                activeObjects, Net.ToList(), topStack, Suspected);
        }
    }
}
