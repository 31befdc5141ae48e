using System.Globalization;
using System.Net;
using System.Text.Json;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// A box's own /metrics (issue #21, `metrics` in its configuration): Debian's prometheus scraping a real `gateway run`
/// directly gets the box's series under the fleet view's names (gateway_box_*, gateway_destination_* with the box and
/// destination labels), no MQTT needed; an address outside metrics.allow gets 403.
/// </summary>
public sealed class BoxMetricsTests
{
    [Fact]
    public void Prometheus_scraping_a_box_directly_gets_its_series_under_the_fleet_names()
    {
        using var dir = new TempDirectory("box-metrics");
        using var pacs = new DcmtkStoreScp();
        var port = FreePort.Get();
        using var box = new GatewayProcess(dir.Path, FreePort.Get(), Destination(pacs.Port), Metrics(port, "127.0.0.0/8"), boxId: "ward-m");
        box.Start();
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"metrics http://127.0.0.1:{port}/metrics"), box.Output, StringComparison.Ordinal);

        var promPort = FreePort.Get();
        var promConfig = Path.Combine(dir.Path, "prometheus.yml");
        File.WriteAllText(promConfig, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: gateway-box
                static_configs:
                  - targets: ["127.0.0.1:{port}"]
            """);
        using var prometheus = new PeerProcess(Peers.Require("/usr/bin/prometheus", "prometheus"),
            [$"--config.file={promConfig}", $"--storage.tsdb.path={Path.Combine(dir.Path, "tsdb")}", $"--web.listen-address=127.0.0.1:{promPort}"]);
        prometheus.WaitForOutput("Server is ready to receive web requests", TimeSpan.FromSeconds(60));
        string[] series = ["gateway_box_up", "gateway_box_spool_entries", "gateway_box_disk_free_bytes", "gateway_box_memory_bytes", "gateway_destination_pending"];
        var deadline = DateTime.UtcNow.AddSeconds(60);
        foreach (var name in series)
        {
            while (Query(promPort, name) is not { Count: > 0 } found || found[0].GetProperty("metric").GetProperty("box").GetString() != "ward-m")
            {
                Assert.True(DateTime.UtcNow < deadline, $"prometheus has no {name} of ward-m: {prometheus.Output}\n{PrometheusText.Get(port)}");
                Thread.Sleep(500);
            }
        }
        var pending = Query(promPort, "gateway_destination_pending").Single();
        Assert.Equal("pacs", pending.GetProperty("metric").GetProperty("destination").GetString());
        Assert.Equal("1", Query(promPort, "gateway_box_up").Single().GetProperty("value")[1].GetString());

        // Outside metrics.allow: refused (loopback is all a test may use, so the allowed network is another one).
        box.Terminate();
        box.Rewrite(Destination(pacs.Port), Metrics(port, "10.9.0.0/16"));
        box.Start();
        Assert.Equal(HttpStatusCode.Forbidden, StatusOf(port));
    }

    private static HttpStatusCode StatusOf(int port)
    {
        using var http = new HttpClient();
        using var response = http.GetAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/metrics"))).GetAwaiter().GetResult();
        return response.StatusCode;
    }

    private static List<JsonElement> Query(int promPort, string name)
    {
        using var http = new HttpClient();
        var json = http.GetStringAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{promPort}/api/v1/query?query={name}"))).GetAwaiter().GetResult();
        return [.. JsonDocument.Parse(json).RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(e => e.Clone())];
    }

    private static string Metrics(int port, string allow) => string.Create(CultureInfo.InvariantCulture,
        $$"""

          "metrics": { "enabled": true, "port": {{port}}, "allow": ["{{allow}}"] },
        """);

    private static string Destination(int port) => string.Create(CultureInfo.InvariantCulture,
        $$"""{ "name": "pacs", "aeTitle": "STORESCP", "host": "127.0.0.1", "port": {{port}}, "retryMinSeconds": 1 }""");
}
