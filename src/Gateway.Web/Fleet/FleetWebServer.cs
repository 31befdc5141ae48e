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
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FleetWebServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 0;
            k.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            k.Listen(options.Listen);
        });
        var app = builder.Build();
        var log = loggers.CreateLogger("gateway.fleet.web");
        app.Use(async (context, next) =>
        {
            var remote = context.Connection.RemoteIpAddress;
            if (!context.Request.Path.Equals("/metrics", StringComparison.Ordinal))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            if (remote is null || !options.MetricsAllow.Any(n => n.Contains(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote)))
            {
                FleetWebLog.MetricsRefused(log, remote?.ToString() ?? "unknown");
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsync("403: /metrics is readable only from the addresses fleet.metricsAllow names\n").ConfigureAwait(false);
                return;
            }
            await next(context).ConfigureAwait(false);
        });
        app.UseOpenTelemetryPrometheusScrapingEndpoint(meters, predicate: null, path: "/metrics", configureBranchedPipeline: null, optionsName: null);
        var server = new FleetWebServer(app, meters);
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            meters.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var url = new Uri(app.Urls.First());
        server.EndPoint = new IPEndPoint(IPAddress.Parse(url.Host.Trim('[', ']')), url.Port);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _meters.Dispose();
    }
}
