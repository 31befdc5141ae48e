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
        try
        {
            var (app, endPoint) = await PrometheusListener.StartAsync(listen, a => PrometheusListener.Exporter(a, meters), allow, getOnly: true, maxConnections: 16,
                remote => MetricsLog.Refused(log, remote), "403: /metrics is readable only from the networks metrics.allow names\n").ConfigureAwait(false);
            return new BoxMetricsServer(app, meters) { EndPoint = endPoint };
        }
        catch
        {
            meters.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _meters.Dispose();
    }
}
