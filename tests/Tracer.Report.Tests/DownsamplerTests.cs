namespace Tracer.Report.Tests;

public sealed class DownsamplerTests
{
    [Fact]
    public void FewRowsAreAllKept()
    {
        double[] x = [0, 1, 2, 3];
        double[] y = [5, 0, 7, 1];

        Assert.Equal([0, 1, 2, 3], Downsampler.Keep(x, [y], columns: 10));
    }

    [Fact]
    public void OneSpikeAndOneZeroInAMillionRowsSurvive()
    {
        const int rows = 1_000_000;
        var x = Enumerable.Range(0, rows).Select(i => (double)i).ToArray();
        var window = Enumerable.Repeat(65_536.0, rows).ToArray();
        var lag = Enumerable.Range(0, rows).Select(i => (double)i * 3000).ToArray();
        window[123_457] = 0;
        lag[654_321] = 1e15;

        var keep = Downsampler.Keep(x, [window, lag], columns: 1000);

        Assert.Contains(123_457, keep);
        Assert.Contains(654_321, keep);
        Assert.True(keep.Length <= 1000 * 6, $"{keep.Length} rows kept for 1000 columns");
    }

    [Fact]
    public void EveryColumnKeepsEachSeriesMinimumAndMaximumAsRealRows()
    {
        const int rows = 50_000;
        const int columns = 100;
        var random = new Random(19);
        var x = Enumerable.Range(0, rows).Select(i => i * 0.5).ToArray();
        var a = Enumerable.Range(0, rows).Select(_ => random.NextDouble()).ToArray();
        var b = Enumerable.Range(0, rows).Select(i => i % 97 == 0 ? double.NaN : random.Next(0, 1000)).ToArray();

        var keep = Downsampler.Keep(x, [a, b], columns);

        Assert.Equal(keep.Order(), keep);
        Assert.Equal(keep.Length, keep.Distinct().Count());
        var span = x[^1] - x[0];
        foreach (var column in Enumerable.Range(0, rows).GroupBy(i => Math.Min(columns - 1, (int)((x[i] - x[0]) / span * columns))))
        {
            var kept = keep.Where(i => column.Contains(i)).ToList();
            Assert.Contains(kept, i => a[i] == column.Min(j => a[j]));
            Assert.Contains(kept, i => a[i] == column.Max(j => a[j]));
            Assert.Contains(kept, i => b[i] == column.Where(j => !double.IsNaN(b[j])).Min(j => b[j]));
            Assert.Contains(kept, i => b[i] == column.Where(j => !double.IsNaN(b[j])).Max(j => b[j]));
            Assert.Contains(column.First(), kept);
            Assert.Contains(column.Last(), kept);
        }
    }

    [Fact]
    public void ASeriesOfTheWrongLengthIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => Downsampler.Keep([0, 1, 2], [new double[] { 1, 2 }], 10));

        Assert.StartsWith("downsampling: a series has 2 values for 3 rows", error.Message, StringComparison.Ordinal);
    }
}
