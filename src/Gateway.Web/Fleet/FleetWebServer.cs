using System.Net;
using Gateway.Telemetry.Fleet;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Gateway.Web.Fleet;

/// <summary>
/// What `gateway fleet` serves on its --listen address (issue #21): <c>/metrics</c>, the <see cref="FleetMetrics"/>
/// instruments in the Prometheus text format through OpenTelemetry's Prometheus exporter (a MeterProvider of the
/// meter "gateway" only: nothing of the process's runtime or of ASP.NET Core is exported). Readable only from the networks <see cref="FleetWebOptions.MetricsAllow"/>
/// names (loopback by default): anyone else gets 403, and any other path 404.
/// </summary>
public sealed class FleetWebServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly MeterProvider _meters;

    private FleetWebServer(WebApplication app, MeterProvider meters)
    {
        _app = app;
        _meters = meters;
    }

    /// <summary>The address and port actually listened on.</summary>
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>Binds and starts; throws what binding throws (port taken, address not local).</summary>
    public static async Task<FleetWebServer> StartAsync(FleetWebOptions options, ILoggerFactory loggers)
    {
        var meters = OpenTelemetry.Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(r => r.AddService("gateway-fleet"))
            .AddMeter(FleetMetrics.MeterName)
            .AddView(i => i.Meter.Name == FleetMetrics.MeterName ? new MetricStreamConfiguration { CardinalityLimit = FleetMetrics.SeriesLimit(i.Name, options.MaxBoxes) } : null)
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)
            .Build();
        var log = loggers.CreateLogger("gateway.fleet.web");
        var (app, endPoint) = await Metrics.PrometheusListener.StartAsync(options.Listen, meters, options.MetricsAllow, getOnly: false, maxConnections: null,
            remote => FleetWebLog.MetricsRefused(log, remote), "403: /metrics is readable only from the addresses fleet.metricsAllow names\n").ConfigureAwait(false);
        return new FleetWebServer(app, meters) { EndPoint = endPoint };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _meters.Dispose();
    }
}
