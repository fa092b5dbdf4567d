using System.Globalization;

namespace LiveExchange.Tests.Infrastructure;

/// <summary>Reads a hub's /metrics (Prometheus text format) the way a scraper would.</summary>
public static class Prometheus
{
    // One client for every scrape: tests poll /metrics several times a second.
    private static readonly HttpClient Http = new();

    public static async Task<Dictionary<string, double>> ScrapeAsync(Uri hub) =>
        Parse(await Http.GetStringAsync(new Uri(hub, "/metrics")));

    /// <summary>Sample lines of the text format: "name{labels} value" (comments and blank lines left out).</summary>
    public static Dictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            // The value follows the last space outside the labels (a timestamp may follow it).
            var labelsEnd = line.LastIndexOf('}');
            var parts = line[(labelsEnd + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            samples[line[..(labelsEnd + 1 > 0 ? labelsEnd + 1 : line.IndexOf(' '))]] = double.Parse(parts[0], CultureInfo.InvariantCulture);
        }

        return samples;
    }

    /// <summary>
    /// The sum of the samples of a metric whose labels include all of the given ones; 0 when it has none
    /// (OpenTelemetry exports a counter only once something was counted).
    /// </summary>
    public static double Find(Dictionary<string, double> samples, string name, params string[] labels) => samples
        .Where(s => (s.Key == name || s.Key.StartsWith(name + "{", StringComparison.Ordinal)) && labels.All(l => s.Key.Contains(l, StringComparison.Ordinal)))
        .Sum(s => s.Value);
}
