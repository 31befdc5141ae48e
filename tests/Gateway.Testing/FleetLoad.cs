using System.Diagnostics;
using System.Globalization;

namespace Gateway.Testing;

/// <summary>What one <see cref="FleetLoad.Run"/> saw.</summary>
/// <param name="Boxes">Boxes played.</param>
/// <param name="AllShownAfter">From the first connection until /metrics showed every box up with its per-box series.</param>
/// <param name="BoxesSeries">gateway_fleet_boxes at the end of the steady state.</param>
/// <param name="BoxesWithSeries">Boxes with gateway_box_up 1, a spool series and a destination series.</param>
/// <param name="CpuPercentOfOneCore">The view's utime+stime per wall second in the steady state, in % of one core.</param>
/// <param name="RssBytes">The view's VmRSS at the end of the steady state.</param>
/// <param name="HwmBytes">The view's VmHWM (peak RSS) at the end.</param>
/// <param name="Steady">The wall-clock window the CPU figure is over.</param>
/// <param name="MessagesPublished">Messages the simulated boxes published, all told.</param>
/// <param name="Victims">Boxes whose connections were frozen (no DISCONNECT).</param>
/// <param name="OfflineShown">Victims shown down (gateway_box_up 0) before the deadline.</param>
/// <param name="OfflineFirst">Freeze → first victim shown down.</param>
/// <param name="OfflineLast">Freeze → last victim shown down (null when not all were).</param>
/// <param name="WillsSeen">Victims whose "offline" will reached the central broker.</param>
/// <param name="WillsLast">Freeze → the last of those wills at the centre.</param>
/// <param name="SurvivorsStillUp">Other boxes still shown up at the end.</param>
/// <param name="AlarmSeries">gateway_fleet_alarm samples in the steady state (6 kinds per box).</param>
/// <param name="Overflowed">The exporter folded series into otel_metric_overflow (its cardinality limit was hit).</param>
/// <param name="QuietCpuPercentOfOneCore">The view's CPU over a window before the scraped one in which nobody scraped: the messages alone.</param>
/// <param name="Quiet">That window.</param>
/// <param name="ScrapeWall">Wall time of each of a few single scrapes in a row, taken after the quiet window (the first one first).</param>
/// <param name="ScrapeCpu">The view's CPU (utime+stime) spent over each of those scrapes, the messages of that moment included.</param>
/// <param name="ScrapeBytes">Size of one /metrics answer.</param>
/// <param name="QuietRssBytes">The view's VmRSS at the end of the quiet window.</param>
/// <param name="QuietMessagesPerSecond">Messages the view took per second over the quiet window (gateway_fleet_accepted_messages_total read just before and after it).</param>
public sealed record FleetLoadResult(int Boxes, TimeSpan AllShownAfter, double BoxesSeries, int BoxesWithSeries, double CpuPercentOfOneCore, long RssBytes,
    long HwmBytes, TimeSpan Steady, long MessagesPublished, int Victims, int OfflineShown, TimeSpan? OfflineFirst, TimeSpan? OfflineLast, int WillsSeen,
    TimeSpan? WillsLast, int SurvivorsStillUp, string Diagnostics, int AlarmSeries = 0, bool Overflowed = false,
    double QuietCpuPercentOfOneCore = 0, TimeSpan Quiet = default, IReadOnlyList<TimeSpan>? ScrapeWall = null, IReadOnlyList<TimeSpan>? ScrapeCpu = null,
    long ScrapeBytes = 0, long QuietRssBytes = 0, double QuietMessagesPerSecond = 0);

/// <summary>
/// Issue #21's load scenario: <c>boxes</c> simulated boxes (<see cref="FleetSimulator"/>, health every
/// <c>healthInterval</c>) on the site broker of <see cref="FleetBrokers"/>, bridged over TLS to the central one,
/// where the real `gateway fleet` subscribes. Every box must be shown; then the connections of <c>victims</c> of them
/// are frozen (<see cref="SocatRelay"/>: no DISCONNECT) and the time until the view shows them down is measured, with
/// the view's CPU and memory from /proc in the steady state between: first <c>quiet</c> with nobody scraping (the CPU of
/// the message stream alone), then three single scrapes timed one after the other, then <c>steady</c> with a scrape
/// every 5 s. Used by FleetLoadTests (correctness only) and
/// `scripts/bench.sh fleet` (the figures).
/// </summary>
public static class FleetLoad
{
    public static async Task<FleetLoadResult> Run(int boxes, int victims, TimeSpan healthInterval, TimeSpan keepAlive, TimeSpan steady, Action<string>? progress = null,
        TimeSpan? quiet = null, TimeSpan? hold = null)
    {
        var quietWindow = quiet ?? steady / 2;
        var say = progress ?? (_ => { });
        var ids = Enumerable.Range(0, boxes).Select(i => string.Create(CultureInfo.InvariantCulture, $"sim-{i:D4}")).ToList();
        var victimIds = ids.Take(victims).ToHashSet(StringComparer.Ordinal);
        using var dir = new TempDirectory("fleet-load");
        using var brokers = new FleetBrokers(ids, []);
        using var relay = new SocatRelay(brokers.Site.Port);
        var config = dir.File("fleet.json");
        File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture,
            $$"""{ "healthIntervalSeconds": {{(int)healthInterval.TotalSeconds}}, "alarms": { "offlineMinutes": 0.1 } }"""));
        var listen = FreePort.Get();
        using var fleet = new PeerProcess(GatewayExecutable.Path,
            ["fleet", "--broker", $"localhost:{brokers.Central.Port}", "--tls-ca", brokers.Certificates.CaFile, "--user", FleetBrokers.FleetUser,
             "--password-file", brokers.PasswordFile(FleetBrokers.FleetUser), "--listen", $"127.0.0.1:{listen}", "--config", config]);
        fleet.WaitForOutput("/metrics", TimeSpan.FromSeconds(30));
        using var wills = new PeerProcess(Peers.Require("mosquitto_sub", "mosquitto-clients"),
            [.. brokers.Central.ClientArgs(FleetBrokers.FleetUser), "-t", "gateway/+/status", "-F", "%U %t %p"]);

        await using var survivors = new FleetSimulator("127.0.0.1", brokers.Site.Port, [.. ids.Where(i => !victimIds.Contains(i))], brokers.Password)
        { HealthInterval = healthInterval, KeepAlive = keepAlive };
        await using var doomed = new FleetSimulator("127.0.0.1", relay.Port, [.. victimIds], brokers.Password)
        { HealthInterval = healthInterval, KeepAlive = keepAlive };
        var started = Stopwatch.StartNew();
        await Task.WhenAll(survivors.StartAsync(CancellationToken.None), doomed.StartAsync(CancellationToken.None)).ConfigureAwait(false);
        say($"{boxes} boxes connected in {started.Elapsed.TotalSeconds:F1} s");

        var shown = await Until(() => WithSeries(PrometheusText.Get(listen), ids) == boxes, TimeSpan.FromSeconds(120)).ConfigureAwait(false);
        var allShownAfter = started.Elapsed;
        if (!shown)
            return Failed(boxes, victims, allShownAfter, $"not every box was shown: {WithSeries(PrometheusText.Get(listen), ids)} of {boxes}\nfleet: {Tail(fleet.Output)}\nsite: {Tail(brokers.Site.Output)}\ncentral: {Tail(brokers.Central.Output)}");
        say($"every box shown after {allShownAfter.TotalSeconds:F1} s; {quietWindow.TotalSeconds:F0} s unscraped, then steady state for {steady.TotalSeconds:F0} s");

        if (hold is { } h)
        {
            // For a profiler (dotnet-trace, dotnet-gcdump): the view's process id, then the load as it is, unmeasured.
            say($"holding {h.TotalSeconds:F0} s: the view is process {fleet.Id}, /metrics on 127.0.0.1:{listen}");
            await Task.Delay(h).ConfigureAwait(false);
        }

        // The messages alone: nobody scrapes (the first seconds after every box was shown are left to settle).
        await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, quietWindow.TotalSeconds))).ConfigureAwait(false);
        var accepted0 = Accepted(PrometheusText.Get(listen));
        var quietCpu0 = CpuTicks(fleet.Id);
        var quietWall = Stopwatch.StartNew();
        await Task.Delay(quietWindow).ConfigureAwait(false);
        var quietPercent = (CpuTicks(fleet.Id) - quietCpu0) / 100.0 / quietWall.Elapsed.TotalSeconds * 100;
        var quietElapsed = quietWall.Elapsed;
        var (quietRss, _) = Memory(fleet.Id);
        var quietRate = (Accepted(PrometheusText.Get(listen)) - accepted0) / quietElapsed.TotalSeconds;
        say($"unscraped: {quietPercent:F1} % of a core over {quietElapsed.TotalSeconds:F0} s, {quietRate:F0} messages/s taken, RSS {quietRss / 1048576.0:F1} MiB");

        // Single scrapes, timed: wall time and the view's CPU over each.
        var scrapeWall = new List<TimeSpan>();
        var scrapeCpu = new List<TimeSpan>();
        long scrapeBytes = 0;
        for (var i = 0; i < 3; i++)
        {
            var c0 = CpuTicks(fleet.Id);
            var w = Stopwatch.StartNew();
            scrapeBytes = PrometheusText.Get(listen).Length;
            scrapeWall.Add(w.Elapsed);
            scrapeCpu.Add(TimeSpan.FromMilliseconds((CpuTicks(fleet.Id) - c0) * 10));
            await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        say($"single scrapes: {string.Join(", ", scrapeWall.Zip(scrapeCpu, (w, c) => $"{w.TotalMilliseconds:F0} ms wall / {c.TotalMilliseconds:F0} ms CPU"))}; {scrapeBytes} characters");

        // Steady state: the view's CPU over a wall-clock window, with a scrape every 5 s as a Prometheus would.
        var cpu0 = CpuTicks(fleet.Id);
        var wall = Stopwatch.StartNew();
        while (wall.Elapsed < steady)
        {
            await Task.Delay(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            PrometheusText.Get(listen);
        }
        var cpuPercent = (CpuTicks(fleet.Id) - cpu0) / 100.0 / wall.Elapsed.TotalSeconds * 100;
        var (rss, hwm) = Memory(fleet.Id);
        var text = PrometheusText.Get(listen);
        var boxesSeries = PrometheusText.Samples(text).FirstOrDefault(s => s.Name == "gateway_fleet_boxes").Value;
        var withSeries = WithSeries(text, ids);
        say($"steady: {cpuPercent:F1} % of a core, RSS {rss / 1048576.0:F1} MiB, peak {hwm / 1048576.0:F1} MiB");

        // Freeze the victims' connections: no DISCONNECT; the broker notices after 1.5 × keep-alive, the view after silence.
        var down = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var cut = Stopwatch.StartNew();
        var willsBefore = wills.Output.Length;
        relay.Freeze();
        var deadline = keepAlive * 1.5 + (healthInterval * 3) + TimeSpan.FromSeconds(30);
        while (down.Count < victims && cut.Elapsed < deadline)
        {
            var up = PrometheusText.BoxUp(PrometheusText.Get(listen));
            foreach (var v in victimIds.Where(v => !down.ContainsKey(v) && up.TryGetValue(v, out var u) && u == 0))
                down[v] = cut.Elapsed;
            await Task.Delay(TimeSpan.FromMilliseconds(250)).ConfigureAwait(false);
        }
        // The wills: wait until the broker's keep-alive has surely run out, then read when they came.
        var willDeadline = keepAlive * 1.5 + TimeSpan.FromSeconds(10);
        while (cut.Elapsed < willDeadline && Wills(wills.Output[willsBefore..], victimIds).Count < victims)
            await Task.Delay(TimeSpan.FromMilliseconds(250)).ConfigureAwait(false);
        var willTimes = Wills(wills.Output[willsBefore..], victimIds);
        var cutAt = DateTimeOffset.UtcNow - cut.Elapsed;
        var finalUp = PrometheusText.BoxUp(PrometheusText.Get(listen));
        var survivorsUp = ids.Count(i => !victimIds.Contains(i) && finalUp.TryGetValue(i, out var u) && u == 1);
        return new FleetLoadResult(boxes, allShownAfter, boxesSeries, withSeries, cpuPercent, rss, hwm, wall.Elapsed, survivors.Published + doomed.Published,
            victims, down.Count, down.Count > 0 ? down.Values.Min() : null, down.Count == victims ? down.Values.Max() : null,
            willTimes.Count, willTimes.Count > 0 ? willTimes.Values.Max() - cutAt : null, survivorsUp,
            $"fleet: {Tail(fleet.Output)}\nsite: {Tail(brokers.Site.Output)}",
            PrometheusText.Samples(text).Count(x => x.Name == "gateway_fleet_alarm"), text.Contains("otel_metric_overflow", StringComparison.Ordinal),
            quietPercent, quietElapsed, scrapeWall, scrapeCpu, scrapeBytes, quietRss, quietRate);
    }

    private static FleetLoadResult Failed(int boxes, int victims, TimeSpan after, string why) =>
        new(boxes, after, 0, 0, 0, 0, 0, TimeSpan.Zero, 0, victims, 0, null, null, 0, null, 0, why);

    private static double Accepted(string text) =>
        PrometheusText.Samples(text).FirstOrDefault(s => s.Name == "gateway_fleet_accepted_messages_total").Value;

    /// <summary>Boxes shown up with a spool series and a destination series.</summary>
    private static int WithSeries(string text, IReadOnlyList<string> ids)
    {
        var samples = PrometheusText.Samples(text).ToList();
        var up = samples.Where(s => s.Name == "gateway_box_up" && s.Value == 1).Select(s => s.Labels["box"]).ToHashSet(StringComparer.Ordinal);
        var spool = samples.Where(s => s.Name == "gateway_box_spool_entries").Select(s => s.Labels["box"]).ToHashSet(StringComparer.Ordinal);
        var destination = samples.Where(s => s.Name == "gateway_destination_pending" && s.Labels.GetValueOrDefault("destination") == "pacs")
            .Select(s => s.Labels["box"]).ToHashSet(StringComparer.Ordinal);
        return ids.Count(i => up.Contains(i) && spool.Contains(i) && destination.Contains(i));
    }

    /// <summary>The first "offline" status per victim in mosquitto_sub's "%U %t %p" lines (Unix time with fractions).</summary>
    private static Dictionary<string, DateTimeOffset> Wills(string output, HashSet<string> victims)
    {
        var found = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n'))
        {
            var parts = line.Split(' ', 3);
            if (parts.Length < 3 || !parts[2].Contains("\"offline\"", StringComparison.Ordinal))
                continue;
            var box = parts[1].Split('/')[1];
            if (victims.Contains(box) && !found.ContainsKey(box) && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var unix))
                found[box] = DateTimeOffset.FromUnixTimeMilliseconds((long)(unix * 1000));
        }
        return found;
    }

    private static async Task<bool> Until(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                return false;
            await Task.Delay(TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>utime + stime of a process in clock ticks (/proc/PID/stat fields 14 and 15; 100 a second on Linux).</summary>
    public static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    /// <summary>VmRSS and VmHWM of a process in bytes (/proc/PID/status).</summary>
    public static (long Rss, long Hwm) Memory(int pid)
    {
        long rss = 0, hwm = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                rss = Kb(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                hwm = Kb(line);
        }
        return (rss, hwm);
    }

    private static long Kb(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

    private static string Tail(string s) => s.Length > 3000 ? s[^3000..] : s;
}
