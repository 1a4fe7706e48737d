namespace Tracer.Report;

/// <summary>
/// Thins time series for a chart of a given width: per pixel column, the rows holding each
/// series' minimum and maximum are kept, with the column's first and last row, so no spike and
/// no zero disappears and every kept row is a real sample with all its values.
/// </summary>
public static class Downsampler
{
    /// <summary>Indices of the rows to keep, ascending; every row when there are no more than a few per column.</summary>
    /// <param name="x">Row times, ascending.</param>
    /// <param name="series">Values per series, one per row; NaN where a series has no value.</param>
    /// <param name="columns">Pixel columns of the chart.</param>
    public static int[] Keep(IReadOnlyList<double> x, IReadOnlyList<IReadOnlyList<double>> series, int columns)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(series);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        var rows = x.Count;
        foreach (var s in series)
        {
            if (s.Count != rows)
            {
                throw new ArgumentException($"downsampling: a series has {s.Count} values for {rows} rows", nameof(series));
            }
        }

        var perColumn = 2 * series.Count + 2;
        if (rows <= (long)columns * perColumn)
        {
            return Enumerable.Range(0, rows).ToArray();
        }

        var first = x[0];
        var span = x[rows - 1] - first;
        var kept = new List<int>(columns * perColumn);
        var inColumn = new SortedSet<int>();
        var start = 0;
        while (start < rows)
        {
            var column = Column(x[start]);
            var end = start + 1;
            while (end < rows && Column(x[end]) == column)
            {
                end++;
            }

            inColumn.Clear();
            inColumn.Add(start);
            inColumn.Add(end - 1);
            foreach (var s in series)
            {
                int min = -1, max = -1;
                for (var i = start; i < end; i++)
                {
                    var v = s[i];
                    if (double.IsNaN(v))
                    {
                        continue;
                    }

                    if (min < 0 || v < s[min])
                    {
                        min = i;
                    }

                    if (max < 0 || v > s[max])
                    {
                        max = i;
                    }
                }

                if (min >= 0)
                {
                    inColumn.Add(min);
                    inColumn.Add(max);
                }
            }

            kept.AddRange(inColumn);
            start = end;
        }

        return kept.ToArray();

        int Column(double t) => span <= 0 ? 0 : Math.Min(columns - 1, (int)((t - first) / span * columns));
    }
}
