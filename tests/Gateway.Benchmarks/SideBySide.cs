using System.Diagnostics;
using System.Globalization;
using Gateway.Testing;

namespace Gateway.Benchmarks;

/// <summary>
/// Runs our `gateway` command and the dcmtk tool that does the same job on the same file, alternately, and reports
/// medians. Process start-up differs (the .NET runtime vs a native binary), so each side's start-up — the median of
/// `--version` — is measured too and reported apart.
/// </summary>
public static class SideBySide
{
    public sealed record Row(string Scenario, string Ours, string Theirs, double OursMs, double TheirsMs, double OursStartMs, double TheirsStartMs)
    {
        public string Markdown() => string.Create(CultureInfo.InvariantCulture,
            $"| {Scenario} | `{Ours}` | {OursMs:F1} ms ({OursMs - OursStartMs:F1} after start-up) | `{Theirs}` | {TheirsMs:F1} ms ({TheirsMs - TheirsStartMs:F1} after start-up) | {(TheirsMs - TheirsStartMs) / Math.Max(0.1, OursMs - OursStartMs):F2}× |");
    }

    public static double Median(string exe, IReadOnlyList<string> args, int runs, IDictionary<string, string>? env = null)
    {
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            var r = ProcessRunner.Run(exe, args, TimeSpan.FromMinutes(5), environment: env);
            sw.Stop();
            if (r.ExitCode != 0)
                throw new InvalidOperationException($"{exe} {string.Join(' ', args)} failed ({r.ExitCode}): {r.StdErr}");
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    public static Row Compare(string scenario, string[] ours, string[] theirs, int runs = 15)
    {
        var gateway = GatewayExecutable.Path;
        var tool = Peers.Require(theirs[0], "dcmtk");
        var oursStart = Median(gateway, ["--version"], runs);
        var theirsStart = Median(tool, ["--version"], runs);
        // Warm the page cache for both.
        Median(gateway, ours, 2);
        Median(tool, theirs[1..], 2);
        var o = Median(gateway, ours, runs);
        var t = Median(tool, theirs[1..], runs);
        return new Row(scenario, "gateway " + string.Join(' ', ours), string.Join(' ', theirs), o, t, oursStart, theirsStart);
    }
}
