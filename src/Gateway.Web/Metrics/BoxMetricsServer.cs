using System.Net;
using Gateway.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Gateway.Web.Metrics;

/// <summary>
/// A box's own <c>/metrics</c> (issue #21; `metrics` in its configuration, off by default): the
/// <see cref="BoxMetrics"/> instruments in the Prometheus text format through OpenTelemetry's Prometheus exporter, as
/// `gateway fleet` serves its own (a MeterProvider of the meter "gateway" only). Plain HTTP on its own small Kestrel,
/// apart from the technician's page (which starts with its first visitor). Readable only from the networks
/// <paramref name="allow"/> names: anyone else gets 403, any other path 404, and nothing but GET is answered.
/// </summary>
public sealed class BoxMetricsServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly MeterProvider _meters;

    private BoxMetricsServer(WebApplication app, MeterProvider meters)
    {
        _app = app;
        _meters = meters;
    }

    /// <summary>The address and port actually listened on.</summary>
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>Binds and starts; throws what binding throws (port taken, address not local).</summary>
    public static async Task<BoxMetricsServer> StartAsync(IPEndPoint listen, IReadOnlyList<IPNetwork> allow, ILogger log)
    {
        var meters = OpenTelemetry.Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(r => r.AddService("gateway"))
            .AddMeter(BoxInstruments.MeterName)
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)
            .Build();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(BoxMetricsServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 0;
            k.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            k.Limits.MaxConcurrentConnections = 16;
            k.Listen(listen);
        });
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            var remote = context.Connection.RemoteIpAddress;
            if (!context.Request.Path.Equals("/metrics", StringComparison.Ordinal) || !HttpMethods.IsGet(context.Request.Method))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            if (remote is null || !allow.Any(n => n.Contains(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote)))
            {
                MetricsLog.Refused(log, remote?.ToString() ?? "unknown");
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsync("403: /metrics is readable only from the networks metrics.allow names\n").ConfigureAwait(false);
                return;
            }
            await next(context).ConfigureAwait(false);
        });
        app.UseOpenTelemetryPrometheusScrapingEndpoint(meters, predicate: null, path: "/metrics", configureBranchedPipeline: null, optionsName: null);
        var server = new BoxMetricsServer(app, meters);
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
