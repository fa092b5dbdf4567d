using System.Globalization;
using System.Text;

namespace LiveExchange.Bench;

public static class Stats
{
    /// <summary>Nearest-rank percentile of values (need not be sorted); NaN when empty.</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double Median(IEnumerable<double> values) => Percentile(values.ToArray(), 50);

    public static string F(double v, string format = "0.0") =>
        double.IsNaN(v) ? "-" : v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>A plain text table: a header row and rows, columns padded to fit.</summary>
    public static string Table(string[] header, IEnumerable<string[]> rows)
    {
        var all = new[] { header }.Concat(rows).ToArray();
        var widths = header.Select((_, c) => all.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var (row, index) in all.Select((r, i) => (r, i)))
        {
            text.AppendLine(string.Join("  ", row.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))));
            if (index == 0)
            {
                text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
            }
        }

        return text.ToString();
    }
}
