using System.Net;
using Gateway.Telemetry.Fleet;
using Gateway.Web.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Gateway.Web.Fleet;

/// <summary>
/// What `gateway fleet` serves on its --listen address (issue #21): <c>/metrics</c>, the <see cref="FleetMetrics"/>
/// instruments in the Prometheus text format through OpenTelemetry's Prometheus exporter (a MeterProvider of the
/// meter "gateway" only: nothing of the process's runtime is exported), on the small listener a box's /metrics uses
/// too (<see cref="PrometheusListener"/>: not Kestrel, whose host was a good part of the view's memory). Readable only
/// from the networks <see cref="FleetWebOptions.MetricsAllow"/> names (loopback by default): anyone else gets 403, and
/// any other path 404.
/// <para>
/// The exporter allocates every series an instrument may have (its cardinality limit) up front, about 100 bytes
/// each: sized to limits.maxBoxes (5,000) that was ~20 MiB whatever the fleet. So the provider is sized to the fleet
/// the view has: before each scrape the series are counted (<see cref="FleetMetrics.Census"/>), and when they no
/// longer fit, the provider is replaced by one with room for half as many again (at least 16 boxes, at most
/// limits.maxBoxes). Every instrument is observable, read at the scrape, so a replacement loses nothing: the counters
/// are the view's own totals. Scrapes take turns.
/// </para>
/// </summary>
public sealed class FleetWebServer : IAsyncDisposable
{
    /// <summary>Scrapes served at once (Prometheus makes one at a time; a second server or a person with curl, a few more).</summary>
    private const int MaxConnections = 16;

    private readonly PrometheusListener _listener;
    private readonly Exporter _exporter;

    private FleetWebServer(PrometheusListener listener, Exporter exporter)
    {
        _listener = listener;
        _exporter = exporter;
    }

    /// <summary>The address and port actually listened on.</summary>
    public IPEndPoint EndPoint => _listener.EndPoint;

    /// <summary>How many boxes and destination series the exporter has room for now.</summary>
    public (int Boxes, int Destinations) Capacity => _exporter.Capacity;

    /// <summary>Binds and starts; throws what binding throws (port taken, address not local).</summary>
    public static Task<FleetWebServer> StartAsync(FleetWebOptions options, FleetMetrics metrics, ILoggerFactory loggers)
    {
        var log = loggers.CreateLogger("gateway.fleet.web");
        var exporter = new Exporter(metrics, options.MaxBoxes, options.MaxDestinations);
        try
        {
            var listener = PrometheusListener.Start(options.Listen, exporter.ScrapeAsync, options.MetricsAllow, getOnly: false,
                MaxConnections, remote => FleetWebLog.MetricsRefused(log, remote),
                "403: /metrics is readable only from the addresses metricsAllow names (gateway fleet --config)\n", log);
            return Task.FromResult(new FleetWebServer(listener, exporter));
        }
        catch
        {
            exporter.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync().ConfigureAwait(false);
        _exporter.Dispose();
    }

    /// <summary>The current MeterProvider and its /metrics handler, replaced when the fleet outgrows it.</summary>
    private sealed class Exporter(FleetMetrics metrics, int maxBoxes, int maxDestinations) : IDisposable
    {
        private const int MinBoxes = 16;
        private readonly SemaphoreSlim _turn = new(1, 1);
        private MeterProvider? _meters;
        private RequestDelegate? _handler;

        public (int Boxes, int Destinations) Capacity { get; private set; }

        public async Task ScrapeAsync(HttpContext context)
        {
            await _turn.WaitAsync(context.RequestAborted).ConfigureAwait(false);
            try
            {
                var (boxes, destinations) = metrics.Census();
                if (_handler is null || boxes > Capacity.Boxes || destinations > Capacity.Destinations)
                {
                    _meters?.Dispose();
                    metrics.ResetCensus();
                    (boxes, destinations) = metrics.Census();
                    Capacity = Size(boxes, destinations, maxBoxes, maxDestinations);
                    _meters = Build(Capacity);
                    _handler = PrometheusListener.Exporter(_meters);
                }
                await _handler(context).ConfigureAwait(false);
            }
            finally
            {
                _turn.Release();
            }
        }

        /// <summary>Room for half as many again as counted: at least <see cref="MinBoxes"/> boxes (a destination each), at most the view's limits.</summary>
        internal static (int Boxes, int Destinations) Size(int boxes, int destinations, int maxBoxes, int maxDestinations)
        {
            var b = Math.Clamp(boxes + (boxes / 2), Math.Min(MinBoxes, maxBoxes), maxBoxes);
            var d = (int)Math.Clamp(destinations + (destinations / 2), b, (long)maxBoxes * maxDestinations);
            return (Math.Max(b, boxes), Math.Max(d, destinations));
        }

        private static MeterProvider Build((int Boxes, int Destinations) room) =>
            OpenTelemetry.Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(r => r.AddService("gateway-fleet"))
                .AddMeter(FleetMetrics.MeterName)
                .AddView(i => i.Meter.Name == FleetMetrics.MeterName
                    ? new MetricStreamConfiguration { CardinalityLimit = FleetMetrics.SeriesLimit(i.Name, room.Boxes, room.Destinations) }
                    : null)
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)
                .Build();

        public void Dispose()
        {
            _meters?.Dispose();
            _turn.Dispose();
        }
    }
}
