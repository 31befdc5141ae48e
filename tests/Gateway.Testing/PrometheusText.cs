using System.Globalization;

namespace Gateway.Testing;

/// <summary>
/// Samples of a /metrics page in the Prometheus text format, read the plain way a scraper does (name, labels,
/// value per line; '#' lines skipped). Enough for the series the fleet view and a box serve; label values with escaped
/// quotes are not needed here.
/// </summary>
public static class PrometheusText
{
    public static string Get(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return http.GetStringAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/metrics"))).GetAwaiter().GetResult();
    }

    public static IEnumerable<(string Name, Dictionary<string, string> Labels, double Value)> Samples(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            string name;
            string valueText;
            if (brace >= 0 && (space < 0 || brace < space))
            {
                name = line[..brace];
                var close = line.LastIndexOf('}');
                foreach (var pair in line[(brace + 1)..close].Split("\",", StringSplitOptions.RemoveEmptyEntries))
                {
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    labels[pair[..eq]] = pair[(eq + 1)..].Trim('"');
                }
                valueText = line[(close + 1)..].Trim().Split(' ')[0];
            }
            else
            {
                // name value [timestamp]
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                name = parts[0];
                valueText = parts.Length > 1 ? parts[1] : "";
            }
            if (double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                yield return (name, labels, value);
        }
    }

    /// <summary>gateway_box_up per box.</summary>
    public static Dictionary<string, double> BoxUp(string text) =>
        Samples(text).Where(s => s.Name == "gateway_box_up").ToDictionary(s => s.Labels["box"], s => s.Value, StringComparer.Ordinal);
}
