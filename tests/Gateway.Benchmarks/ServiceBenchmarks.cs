using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Gateway.Testing;

namespace Gateway.Benchmarks;

/// <summary>
/// Issue #7: start-up time to READY=1, idle RSS and CPU of `gateway run` (with a device on a serial port, MQTT
/// telemetry and the web page, as installed), RSS while receiving and forwarding.
/// </summary>
public static class ServiceBenchmarks
{
    private static long Proc(int pid, string key) =>
        long.Parse(File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith(key, StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static double CpuSeconds(int pid)
    {
        var f = File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <param name="metricsOnly">`service --metrics`: only the box as installed without and with its own /metrics (issue #21).</param>
    public static IReadOnlyList<string> Run(bool metricsOnly = false)
    {
        if (metricsOnly)
        {
            var pair = new List<string>(Measure(web: true, endToEnd: false));
            pair.AddRange(Measure(web: true, endToEnd: false, metrics: true));
            return pair;
        }
        // The box without its page first (the same service, `web.enabled` false), then as installed, with it.
        var rows = new List<string>(Measure(web: false, endToEnd: false));
        rows.AddRange(Measure(web: true, endToEnd: true));
        return rows;
    }

    private static List<string> Measure(bool web, bool endToEnd, bool metrics = false)
    {
        var rows = new List<string>();
        var label = (web ? "with the web page" : "without the web page") + (metrics ? " and /metrics on (scraped every 5 s)" : "");
        var metricsPort = FreePort.Get();
        var dir = Path.Combine(BenchmarkFiles.Folder, "service");
        if (Directory.Exists(dir))
            Directory.Delete(dir, true);
        Directory.CreateDirectory(dir);
        using var pacs = new DcmtkStoreScp(tcpNoDelay: true, extraArgs: ["--ignore"]);
        // The box as installed: a device on its serial port (idle: nothing sent), MQTT telemetry to a real broker.
        using var broker = new MosquittoPeer();
        using var cable = new SocatPair(dir);
        var profile = Path.Combine(Repository.Root, "hardware", "profiles", "fpd-1417-usb.json");
        var scpPort = FreePort.Get();
        var webPort = FreePort.Get();
        var config = Path.Combine(dir, "gateway.json");
        File.WriteAllText(config, $$"""
        { "box": { "id": "bench" }, "spool": { "path": "{{Path.Combine(dir, "spool")}}", "minFreeBytes": 0 },
          "localScp": { "aeTitle": "GATEWAY", "port": {{scpPort}}, "bind": "127.0.0.1" },
          "destinations": [ { "name": "pacs", "aeTitle": "{{pacs.AeTitle}}", "host": "127.0.0.1", "port": {{pacs.Port}} } ],
          "device": { "profile": "{{profile}}", "serialPort": "{{cable.GatewayEnd}}", "gpio": false },
          "mqtt": { "host": "127.0.0.1", "port": {{broker.Port}}, "healthIntervalSeconds": 30 },
          "metrics": { "enabled": {{(metrics ? "true" : "false")}}, "port": {{metricsPort}} },
          "web": { "enabled": {{(web ? "true" : "false")}}, "port": {{webPort}}, "httpRedirectPort": 0, "bind": "127.0.0.1", "stateDirectory": "{{Path.Combine(dir, "web")}}" } }
        """);
        var notifyPath = Path.Combine(dir, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        notify.ReceiveTimeout = 30_000;

        var clock = Stopwatch.StartNew();
        using var gateway = new PeerProcess(GatewayExecutable.Path, ["run", "--config", config],
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath, ["WATCHDOG_USEC"] = "10000000" });
        var buffer = new byte[1024];
        while (System.Text.Encoding.UTF8.GetString(buffer, 0, notify.Receive(buffer)) != "READY=1")
        {
        }
        var ready = clock.Elapsed.TotalMilliseconds;
        rows.Add(string.Create(CultureInfo.InvariantCulture, $"| start-up to READY=1, {label} (process start → every part started) | {ready:F0} ms |"));

        Thread.Sleep(2000);
        var cpu0 = CpuSeconds(gateway.Id);
        for (var i = 0; i < 2; i++)
        {
            // A Prometheus scraping the box every 5 s through the idle window.
            if (metrics)
                PrometheusText.Get(metricsPort);
            Thread.Sleep(5_000);
        }
        var cpu1 = CpuSeconds(gateway.Id);
        rows.Add(string.Create(CultureInfo.InvariantCulture, $"| idle RSS after 12 s, {label} | {Proc(gateway.Id, "VmRSS:") / 1024} MB |"));
        rows.Add(string.Create(CultureInfo.InvariantCulture, $"| idle CPU over 10 s, {label} | {(cpu1 - cpu0) / 10 * 100:F2} % of one core |"));

        if (web)
        {
            // The page starts on its first visitor: what it costs once somebody looked.
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
            using var http = new HttpClient(handler);
            http.GetAsync(new Uri($"https://127.0.0.1:{webPort}/login")).GetAwaiter().GetResult().EnsureSuccessStatusCode();
            Thread.Sleep(5000);
            rows.Add(string.Create(CultureInfo.InvariantCulture, $"| RSS 5 s after the page's first visitor | {Proc(gateway.Id, "VmRSS:") / 1024} MB |"));
        }
        if (!endToEnd)
            return rows;
        // The network suite's 525 KB objects (written here when that suite has not run yet).
        var medium = NetworkBenchmarks.Folder("net-525k", 2000, 512, 512, 1);
        clock.Restart();
        var send = ProcessRunner.Run(GatewayExecutable.Path, ["send", medium, "--to", $"127.0.0.1:{scpPort}", "--called", "GATEWAY"], TimeSpan.FromMinutes(10));
        if (send.ExitCode != 0)
            throw new InvalidOperationException(send.All);
        while (Directory.GetFiles(Path.Combine(dir, "spool", "state")).Length > 0)
            Thread.Sleep(20);
        var seconds = clock.Elapsed.TotalSeconds;
        var count = Directory.GetFiles(medium).Length;
        rows.Add(string.Create(CultureInfo.InvariantCulture,
            $"| receive {count} × 525 KB on the SCP (fsync'd, enqueued durably) and forward them to storescp | {seconds:F1} s ({count / seconds:F0} objects/s end to end), peak RSS {Proc(gateway.Id, "VmHWM:") / 1024} MB |"));
        return rows;
    }
}
