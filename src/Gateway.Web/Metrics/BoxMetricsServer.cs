using System.Net;
using Gateway.Telemetry;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Gateway.Web.Metrics;

/// <summary>
/// A box's own <c>/metrics</c> (issue #21; `metrics` in its configuration, off by default): the
/// <see cref="BoxMetrics"/> instruments in the Prometheus text format through OpenTelemetry's Prometheus exporter, as
/// `gateway fleet` serves its own (a MeterProvider of the meter "gateway" only). Plain HTTP on a small listener of its
/// own (<see cref="PrometheusListener"/>, not Kestrel: the technician's page still starts ASP.NET Core's host only
/// with its first visitor). Readable only from the networks
/// <paramref name="allow"/> names: anyone else gets 403, any other path 404, and nothing but GET is answered.
/// </summary>
public sealed class BoxMetricsServer : IAsyncDisposable
{
    private readonly PrometheusListener _listener;
    private readonly MeterProvider _meters;

    private BoxMetricsServer(PrometheusListener listener, MeterProvider meters)
    {
        _listener = listener;
        _meters = meters;
    }

    /// <summary>The address and port actually listened on.</summary>
    public IPEndPoint EndPoint => _listener.EndPoint;

    /// <summary>Binds and starts; throws what binding throws (port taken, address not local).</summary>
    public static Task<BoxMetricsServer> StartAsync(IPEndPoint listen, IReadOnlyList<IPNetwork> allow, ILogger log)
    {
        var meters = OpenTelemetry.Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(r => r.AddService("gateway"))
            .AddMeter(BoxInstruments.MeterName)
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)
            .Build();
        try
        {
            var listener = PrometheusListener.Start(listen, PrometheusListener.Exporter(meters), allow, getOnly: true, maxConnections: 16,
                remote => MetricsLog.Refused(log, remote), "403: /metrics is readable only from the networks metrics.allow names\n", log);
            return Task.FromResult(new BoxMetricsServer(listener, meters));
        }
        catch
        {
            meters.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync().ConfigureAwait(false);
        _meters.Dispose();
    }
}
