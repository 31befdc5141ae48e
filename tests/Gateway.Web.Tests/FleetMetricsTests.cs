using System.Net;
using System.Text;
using Gateway.Telemetry.Fleet;
using Gateway.Testing;
using Gateway.Web.Fleet;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Gateway.Web.Tests;

/// <summary>/metrics of `gateway fleet` (issue #21): OpenTelemetry's Prometheus exporter over the fleet's instruments, and who may read it.</summary>
public sealed class FleetMetricsTests
{
    private static FleetState Fleet()
    {
        var state = new FleetState(new FleetOptions());
        foreach (var box in new[] { "box-1", "box-2" })
        {
            var now = DateTimeOffset.UtcNow.ToString("O");
            Assert.Null(state.Apply($"gateway/{box}/status", Encoding.UTF8.GetBytes($$"""{"schema":1,"boxId":"{{box}}","state":"online","time":"{{now}}"}"""), false));
            Assert.Null(state.Apply($"gateway/{box}/health", Encoding.UTF8.GetBytes($$"""
                {"schema":1,"boxId":"{{box}}","time":"{{now}}","version":"1","uptimeSeconds":7,"spool":{"entries":3,"bytes":30},
                 "destinations":[{"name":"pacs \"main\"","pending":3,"oldestSeconds":12,"deadLetters":1,"lastSuccess":null,"failures":2}],
                 "diskFreeBytes":5000,"memoryBytes":1,"cpuTemperatureC":null,"eventsDropped":0}
                """), false));
        }
        state.EvaluateAlarms();
        return state;
    }

    private static void Health(FleetState state, string box, params string[] destinations)
    {
        var now = DateTimeOffset.UtcNow.ToString("O");
        Assert.Null(state.Apply($"gateway/{box}/status", Encoding.UTF8.GetBytes($$"""{"schema":1,"boxId":"{{box}}","state":"online","time":"{{now}}"}"""), false));
        var list = string.Join(",", destinations.Select(d => $$"""{"name":"{{d}}","pending":1,"oldestSeconds":null,"deadLetters":0,"lastSuccess":null,"failures":0}"""));
        Assert.Null(state.Apply($"gateway/{box}/health", Encoding.UTF8.GetBytes($$"""
            {"schema":1,"boxId":"{{box}}","time":"{{now}}","version":"1","uptimeSeconds":7,"spool":{"entries":1,"bytes":30},
             "destinations":[{{list}}],"diskFreeBytes":5000000000,"memoryBytes":1,"cpuTemperatureC":null,"eventsDropped":0}
            """), false));
    }

    /// <summary>One sample line: the metric, every label given (the exporter adds otel_scope_name), the value.</summary>
    private static void Has(string text, string metric, string labels, string value)
    {
        var wanted = labels.Split("\",", StringSplitOptions.RemoveEmptyEntries).Select(l => l.EndsWith('"') ? l : l + "\"").ToList();
        Assert.True(text.Split('\n').Any(line => line.StartsWith(metric + "{", StringComparison.Ordinal) && line.EndsWith("} " + value, StringComparison.Ordinal)
            && wanted.All(w => line.Contains(w, StringComparison.Ordinal))), $"no sample {metric}{{{labels}}} {value} in:\n{text}");
    }

    [Fact]
    public async Task Every_box_and_destination_is_exported_with_its_labels()
    {
        var state = Fleet();
        using var metrics = new FleetMetrics(state);
        await using var server = await FleetWebServer.StartAsync(new FleetWebOptions { Listen = new IPEndPoint(IPAddress.Loopback, FreePort.Get()) }, metrics, NullLoggerFactory.Instance);
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri($"http://{server.EndPoint}/metrics"));
        Has(text, "gateway_box_up", "box=\"box-1\"", "1");
        Has(text, "gateway_box_up", "box=\"box-2\"", "1");
        Has(text, "gateway_box_spool_entries", "box=\"box-2\"", "3");
        // The destination's name as the box sent it, escaped by the exporter (a quote inside a label value).
        Has(text, "gateway_destination_pending", "box=\"box-1\",destination=\"pacs \\\"main\\\"\"", "3");
        Has(text, "gateway_fleet_alarm", "alarm=\"dead-letters\",box=\"box-1\"", "1");
        Has(text, "gateway_fleet_alarm", "alarm=\"offline\",box=\"box-1\"", "0");
        Has(text, "gateway_fleet_boxes", "", "2");
        Assert.DoesNotContain("process_", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_box_the_view_forgot_has_no_series_left()
    {
        var state = Fleet();
        using var metrics = new FleetMetrics(state);
        await using var server = await FleetWebServer.StartAsync(new FleetWebOptions { Listen = new IPEndPoint(IPAddress.Loopback, FreePort.Get()) }, metrics, NullLoggerFactory.Instance);
        using var http = new HttpClient();
        Has(await http.GetStringAsync(new Uri($"http://{server.EndPoint}/metrics")), "gateway_box_up", "box=\"box-2\"", "1");

        Assert.Null(state.Apply("gateway/box-2/status", [], retained: false)); // its retained status deleted
        Assert.Equal("box-2", Assert.Single(state.ForgetVanished()).BoxId);
        // Every scrape reads a fresh snapshot of the state (FleetMetrics.Census).
        var text = await http.GetStringAsync(new Uri($"http://{server.EndPoint}/metrics"));
        Has(text, "gateway_box_up", "box=\"box-1\"", "1");
        Has(text, "gateway_fleet_boxes", "", "1");
        Assert.DoesNotContain("box=\"box-2\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_are_refused_to_an_address_not_allowed_and_other_paths_are_not_found()
    {
        using var metrics = new FleetMetrics(Fleet());
        var options = new FleetWebOptions { Listen = new IPEndPoint(IPAddress.Loopback, FreePort.Get()), MetricsAllow = [IPNetwork.Parse("10.0.0.0/8")] };
        await using var server = await FleetWebServer.StartAsync(options, metrics, NullLoggerFactory.Instance);
        using var http = new HttpClient();
        var refused = await http.GetAsync(new Uri($"http://{server.EndPoint}/metrics"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.DoesNotContain("gateway_box", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri($"http://{server.EndPoint}/metrics/../x"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri($"http://{server.EndPoint}/"))).StatusCode);
    }

    [Fact]
    public async Task The_exporter_grows_with_the_fleet_and_never_folds_series_into_overflow()
    {
        var state = new FleetState(new FleetOptions());
        using var metrics = new FleetMetrics(state);
        Health(state, "box-0", "pacs");
        await using var server = await FleetWebServer.StartAsync(new FleetWebOptions { Listen = new IPEndPoint(IPAddress.Loopback, FreePort.Get()) }, metrics, NullLoggerFactory.Instance);
        using var http = new HttpClient();
        var first = await http.GetStringAsync(new Uri($"http://{server.EndPoint}/metrics"));
        Has(first, "gateway_box_up", "box=\"box-0\"", "1");
        var small = server.Capacity;
        Assert.True(small.Boxes < 100, $"sized for {small} with one box known");

        // A hundred boxes with three destinations each arrive: every series is there, none folded into otel_metric_overflow.
        for (var i = 1; i <= 100; i++)
            Health(state, $"box-{i}", "pacs", "archive", "ai");
        var grown = await http.GetStringAsync(new Uri($"http://{server.EndPoint}/metrics"));
        Assert.DoesNotContain("otel_metric_overflow", grown, StringComparison.Ordinal);
        for (var i = 0; i <= 100; i++)
        {
            Has(grown, "gateway_box_up", $"box=\"box-{i}\"", "1");
            Has(grown, "gateway_fleet_alarm", $"alarm=\"offline\",box=\"box-{i}\"", "0");
        }
        Has(grown, "gateway_destination_pending", "box=\"box-100\",destination=\"ai\"", "1");
        Has(grown, "gateway_fleet_boxes", "", "101");
        Assert.True(server.Capacity.Boxes >= 101 && server.Capacity.Destinations >= 301, $"capacity {server.Capacity}");

        // One box renaming its destination on every health message: the exporter keeps the old series, the view
        // replaces it before they overflow it.
        for (var round = 0; round < 400; round++)
        {
            Health(state, "box-0", $"pacs-{round}");
            Assert.DoesNotContain("otel_metric_overflow", await http.GetStringAsync(new Uri($"http://{server.EndPoint}/metrics")), StringComparison.Ordinal);
        }
        var last = await http.GetStringAsync(new Uri($"http://{server.EndPoint}/metrics"));
        Assert.DoesNotContain("otel_metric_overflow", last, StringComparison.Ordinal);
        Has(last, "gateway_destination_pending", "box=\"box-0\",destination=\"pacs-399\"", "1");
    }
}
