using System.Globalization;
using System.Text.Json;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #21 with real peers: two real `gateway run` boxes and three simulated ones (mosquitto_pub) on one mosquitto,
/// the real `gateway fleet`, and Debian's prometheus scraping it. What a user checks: prometheus's HTTP API has every
/// box, a SIGKILLed box raises the retained offline alarm and its restart clears it, and none of the patient data
/// that flowed through the boxes appears in the fleet's metrics, alarms or log. The view is what ships: the native
/// `gateway` of deploy/publish.sh, which runs `gateway fleet` without its page itself (the page's tests run it with
/// its page, handed to gateway-service).
/// </summary>
public sealed class FleetTests
{
    private static string Mqtt(MosquittoPeer broker) => string.Create(CultureInfo.InvariantCulture,
        $$"""
        "mqtt": { "host": "127.0.0.1", "port": {{broker.Port}}, "healthIntervalSeconds": 1 },
        """);

    private static string Destination(int port) => string.Create(CultureInfo.InvariantCulture,
        $$"""{ "name": "pacs", "aeTitle": "STORESCP", "host": "127.0.0.1", "port": {{port}}, "retryMinSeconds": 1 }""");

    private static void Simulated(MosquittoPeer broker, string box)
    {
        var pub = Peers.Require("mosquitto_pub", "mosquitto-clients");
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        var port = broker.Port.ToString(CultureInfo.InvariantCulture);
        foreach (var (leaf, payload) in new[]
        {
            ("status", $$"""{"schema":1,"boxId":"{{box}}","state":"online","time":"{{now}}"}"""),
            ("health", $$"""{"schema":1,"boxId":"{{box}}","time":"{{now}}","version":"sim","uptimeSeconds":1,"spool":{"entries":0,"bytes":0},"destinations":[{"name":"pacs","pending":0,"oldestSeconds":null,"deadLetters":0,"lastSuccess":null,"failures":0}],"diskFreeBytes":10000000000,"memoryBytes":1}"""),
        })
        {
            var r = ProcessRunner.Run(pub, ["-h", "127.0.0.1", "-p", port, "-q", "1", "-r", "-t", $"gateway/{box}/{leaf}", "-m", payload]);
            Assert.True(r.ExitCode == 0, r.All);
        }
    }

    private static string Get(string url)
    {
        using var http = new HttpClient();
        return http.GetStringAsync(new Uri(url)).GetAwaiter().GetResult();
    }

    private static List<string> BoxesInPrometheus(int port)
    {
        var json = Get($"http://127.0.0.1:{port}/api/v1/query?query=gateway_box_up");
        var result = JsonDocument.Parse(json).RootElement.GetProperty("data").GetProperty("result");
        return [.. result.EnumerateArray().Select(r => r.GetProperty("metric").GetProperty("box").GetString()!).Order(StringComparer.Ordinal)];
    }

    private static void Until(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException(what());
            Thread.Sleep(250);
        }
    }

    [Fact]
    public void Prometheus_scrapes_every_box_a_killed_box_raises_the_offline_alarm_and_no_patient_data_shows()
    {
        using var dir = new TempDirectory("fleet");
        using var broker = new MosquittoPeer();
        using var pacs = new DcmtkStoreScp();
        Directory.CreateDirectory(Path.Combine(dir.Path, "a"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "b"));
        using var boxA = new GatewayProcess(Path.Combine(dir.Path, "a"), FreePort.Get(), Destination(pacs.Port), Mqtt(broker), boxId: "ward-a");
        using var boxB = new GatewayProcess(Path.Combine(dir.Path, "b"), FreePort.Get(), Destination(pacs.Port), Mqtt(broker), boxId: "ward-b");
        boxA.Start();
        boxB.Start();
        foreach (var sim in new[] { "sim-1", "sim-2", "sim-3" })
            Simulated(broker, sim);

        var config = dir.File("fleet.json");
        File.WriteAllText(config, """{ "healthIntervalSeconds": 1, "alarms": { "offlineMinutes": 0.05 } }""");
        var listen = FreePort.Get();
        using var fleet = new PeerProcess(DeployedBuild.Front,
            ["fleet", "--broker", $"127.0.0.1:{broker.Port}", "--listen", $"127.0.0.1:{listen}", "--config", config]);
        fleet.WaitForOutput("/metrics", TimeSpan.FromSeconds(20));

        // Patient data flows through box A: CT_small carries a patient name and id.
        var sample = Path.Combine(Peers.PydicomData, "test_files", "CT_small.dcm");
        var send = GatewayExecutable.Run("send", sample, "--to", $"127.0.0.1:{boxA.ScpPort}", "--called", "GATEWAY");
        Assert.True(send.ExitCode == 0, send.All);

        var promPort = FreePort.Get();
        var promConfig = dir.File("prometheus.yml");
        File.WriteAllText(promConfig, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: gateway-fleet
                static_configs:
                  - targets: ["127.0.0.1:{listen}"]
            """);
        using var prometheus = new PeerProcess(Peers.Require("/usr/bin/prometheus", "prometheus"),
            [$"--config.file={promConfig}", $"--storage.tsdb.path={dir.File("tsdb")}", $"--web.listen-address=127.0.0.1:{promPort}"]);
        prometheus.WaitForOutput("Server is ready to receive web requests", TimeSpan.FromSeconds(60));
        string[] all = ["sim-1", "sim-2", "sim-3", "ward-a", "ward-b"];
        Until(() => BoxesInPrometheus(promPort).SequenceEqual(all), TimeSpan.FromSeconds(60),
            () => $"prometheus has {string.Join(",", BoxesInPrometheus(promPort))}; fleet: {fleet.Output}; prometheus: {prometheus.Output}");

        // SIGKILL: the broker's will says offline (after the keep-alive), the fleet raises the retained alarm.
        boxB.Kill();
        var raised = broker.WaitFor("gateway/fleet/alarms/ward-b",
            j => j.GetProperty("alarms").EnumerateArray().Any(a => a.GetProperty("kind").GetString() == "offline"), TimeSpan.FromSeconds(120));
        Assert.Equal("ward-b", raised.GetProperty("boxId").GetString());
        boxB.Start();
        broker.WaitFor("gateway/fleet/alarms/ward-b", j => j.GetProperty("alarms").GetArrayLength() == 0, TimeSpan.FromSeconds(60));

        var metrics = Get($"http://127.0.0.1:{listen}/metrics");
        var alarms = string.Join("\n", broker.Subscribe("gateway/fleet/alarms/+", 5, TimeSpan.FromSeconds(3)).Select(m => m.Payload));
        Assert.Contains("gateway_destination_last_success_timestamp_seconds", metrics, StringComparison.Ordinal);
        foreach (var phi in new[] { "CompressedSamples", "CT1", "1CT1" })
        {
            Assert.DoesNotContain(phi, metrics, StringComparison.Ordinal);
            Assert.DoesNotContain(phi, alarms, StringComparison.Ordinal);
            Assert.DoesNotContain(phi, fleet.Output, StringComparison.Ordinal);
        }
    }
}
