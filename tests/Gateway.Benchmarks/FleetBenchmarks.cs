using System.Globalization;
using Gateway.Testing;

namespace Gateway.Benchmarks;

/// <summary>
/// `scripts/bench.sh fleet [--boxes N]` (issue #21): N simulated boxes (1,000 by default; health every 5 s, an event
/// every 30 s, the real boxes' 30 s keep-alive) on a site mosquitto bridged over TLS to a central one, into the real
/// `gateway fleet` (GATEWAY_EXE: what ships). Prints when every box was shown, the view's CPU (utime+stime per wall
/// second: 30 s with nobody scraping, three single scrapes timed, then 60 s with a scrape every 5 s) and memory
/// (VmRSS, VmHWM), and how long 10 % of the boxes, frozen without a DISCONNECT, took to show offline — against the
/// goal of 100 MB and 10 % of a core. `--hold S`: once every box is shown, print the view's process id and let the
/// load run S seconds unmeasured first (to attach dotnet-trace or dotnet-gcdump).
/// </summary>
internal static class FleetBenchmarks
{
    public static IEnumerable<string> Run(string[] args)
    {
        var at = Array.IndexOf(args, "--boxes");
        var boxes = at >= 0 ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : 1000;
        var victims = Math.Max(1, boxes / 10);
        var holdAt = Array.IndexOf(args, "--hold");
        TimeSpan? hold = holdAt >= 0 ? TimeSpan.FromSeconds(int.Parse(args[holdAt + 1], CultureInfo.InvariantCulture)) : null;
        var health = TimeSpan.FromSeconds(5);
        var keepAlive = TimeSpan.FromSeconds(30);
        var r = FleetLoad.Run(boxes, victims, health, keepAlive, TimeSpan.FromSeconds(60), Console.WriteLine, quiet: TimeSpan.FromSeconds(30), hold: hold).GetAwaiter().GetResult();
        var mib = 1024.0 * 1024.0;
        return
        [
            "",
            "| figure | measured | goal |",
            "|---|---|---|",
            Row("boxes shown with their per-box series (gateway_fleet_boxes)", $"{r.BoxesWithSeries} of {r.Boxes} ({r.BoxesSeries})", $"{r.Boxes}"),
            Row("first connection → every box shown", $"{r.AllShownAfter.TotalSeconds:F1} s", "—"),
            Row($"CPU of the view, nobody scraping ({r.Quiet.TotalSeconds:F0} s): the messages alone",
                $"{r.QuietCpuPercentOfOneCore:F1} % of one core at {r.QuietMessagesPerSecond:F0} messages/s taken ({(r.QuietMessagesPerSecond > 0 ? r.QuietCpuPercentOfOneCore * 10_000 / r.QuietMessagesPerSecond : 0):F0} µs of CPU a message)", "—"),
            Row("one scrape of /metrics: wall time / the view's CPU over it (three in a row)",
                string.Join(", ", (r.ScrapeWall ?? []).Zip(r.ScrapeCpu ?? [], (w, c) => $"{w.TotalMilliseconds:F0} ms / {c.TotalMilliseconds:F0} ms")) + $"; {r.ScrapeBytes / 1024.0:F0} KiB", "—"),
            Row($"CPU of the view, steady state, scraped every 5 s ({r.Steady.TotalSeconds:F0} s)", $"{r.CpuPercentOfOneCore:F1} % of one core", "< 10 %"),
            Row("VmRSS of the view after the unscraped window", $"{r.QuietRssBytes / mib:F1} MiB", "—"),
            Row("VmRSS of the view / VmHWM (peak)", $"{r.RssBytes / mib:F1} MiB / {r.HwmBytes / mib:F1} MiB", "< 100 MB"),
            Row("messages published by the simulated boxes", $"{r.MessagesPublished}", "—"),
            Row($"frozen boxes shown offline (no DISCONNECT, keep-alive {keepAlive.TotalSeconds:F0} s, health {health.TotalSeconds:F0} s)",
                $"{r.OfflineShown} of {r.Victims}: first after {Seconds(r.OfflineFirst)}, last after {Seconds(r.OfflineLast)}",
                $"≤ keep-alive + one interval = {(keepAlive + health).TotalSeconds:F0} s"),
            Row("their wills at the centre (broker: 1.5 × keep-alive)", $"{r.WillsSeen} of {r.Victims}, last after {Seconds(r.WillsLast)}", "—"),
            Row("other boxes still shown up", $"{r.SurvivorsStillUp} of {r.Boxes - r.Victims}", $"{r.Boxes - r.Victims}"),
            Row("gateway_fleet_alarm series (6 per box); exporter overflow", $"{r.AlarmSeries}; {(r.Overflowed ? "yes" : "no")}", $"{r.Boxes * 6}; no"),
            r.BoxesWithSeries == r.Boxes ? "" : "diagnostics: " + r.Diagnostics,
        ];
    }

    private static string Seconds(TimeSpan? t) => t is { } v ? v.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s" : "—";

    private static string Row(string what, string measured, string goal) => $"| {what} | {measured} | {goal} |";
}
