using System.Net;
using Gateway.Telemetry;
using Gateway.Web.Metrics;

namespace Gateway.Host.Service;

/// <summary>
/// The box's own /metrics (issue #21; `metrics` in the configuration, off by default): the fleet view's per-box series
/// for this box, from the same health message MQTT carries, served on metrics.bind:metrics.port to metrics.allow only.
/// Like the technician's page it is for watching, not for working: if it cannot start (port taken) it says so (3043)
/// and the box goes on acquiring and sending. A change of the section takes effect at the next start (3009 says so).
/// </summary>
internal sealed partial class GatewayService
{
    private BoxMetrics? _boxMetrics;
    private BoxMetricsServer? _metricsServer;

    /// <summary>Where the box's /metrics listens (null: not served).</summary>
    public IPEndPoint? MetricsEndPoint => _metricsServer?.EndPoint;

    private async Task StartMetricsAsync()
    {
        if (_config.Metrics is not { Enabled: true } m)
            return;
        var listen = new IPEndPoint(IPAddress.Parse(m.Bind), m.Port);
        _boxMetrics = new BoxMetrics(_config.Box.Id, () => _health.Collect() with { EventsDropped = _telemetry?.EventsDropped ?? 0 });
        try
        {
            _metricsServer = await BoxMetricsServer.StartAsync(listen, [.. m.Allow.Select(IPNetwork.Parse)], loggers.CreateLogger("gateway.metrics"))
                .ConfigureAwait(false);
            HostLog.MetricsServing(_log, _metricsServer.EndPoint.ToString(), string.Join(", ", m.Allow));
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            HostLog.MetricsFailed(_log, listen.ToString(), e.Message);
            _boxMetrics.Dispose();
            _boxMetrics = null;
        }
    }

    private async Task StopMetricsAsync()
    {
        if (_metricsServer is not null)
            await _metricsServer.DisposeAsync().ConfigureAwait(false);
        _metricsServer = null;
        _boxMetrics?.Dispose();
        _boxMetrics = null;
    }
}
