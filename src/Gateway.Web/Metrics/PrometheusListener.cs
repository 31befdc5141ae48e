using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Gateway.Web.Metrics;

/// <summary>
/// The one small Kestrel that serves <c>/metrics</c> through OpenTelemetry's Prometheus exporter, for a box
/// (<see cref="BoxMetricsServer"/>: one <see cref="MeterProvider"/>) and for the fleet view
/// (<see cref="Fleet.FleetWebServer"/>: a provider sized to the fleet, replaced as it grows): plain HTTP, no server
/// header, no request body, 16 KiB of headers; readable only from the <c>allow</c> networks (anyone else 403 with
/// <c>refusedText</c>, said through <c>refused</c>); any other path 404.
/// </summary>
internal static class PrometheusListener
{
    /// <summary>Binds and starts; throws what binding throws.</summary>
    /// <param name="scrape">Makes the handler of an allowed GET /metrics from the application (see <see cref="Exporter"/>).</param>
    /// <param name="getOnly">Answer nothing but GET (404 otherwise).</param>
    /// <param name="maxConnections">Kestrel's limit of concurrent connections; null: Kestrel's default.</param>
    public static async Task<(WebApplication App, IPEndPoint EndPoint)> StartAsync(IPEndPoint listen, Func<IApplicationBuilder, RequestDelegate> scrape,
        IReadOnlyList<IPNetwork> allow, bool getOnly, int? maxConnections, Action<string> refused, string refusedText)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(PrometheusListener).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 0;
            k.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            if (maxConnections is { } max)
                k.Limits.MaxConcurrentConnections = max;
            k.Listen(listen);
        });
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            var remote = context.Connection.RemoteIpAddress;
            if (!context.Request.Path.Equals("/metrics", StringComparison.Ordinal) || (getOnly && !HttpMethods.IsGet(context.Request.Method)))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            if (remote is null || !allow.Any(n => n.Contains(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote)))
            {
                refused(remote?.ToString() ?? "unknown");
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsync(refusedText).ConfigureAwait(false);
                return;
            }
            await next(context).ConfigureAwait(false);
        });
        app.Run(scrape(app));
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var url = new Uri(app.Urls.First());
        return (app, new IPEndPoint(IPAddress.Parse(url.Host.Trim('[', ']')), url.Port));
    }

    /// <summary>OpenTelemetry's scraping endpoint for <paramref name="meters"/> as a handler of <c>/metrics</c> (a branch of its own).</summary>
    public static RequestDelegate Exporter(IApplicationBuilder app, MeterProvider meters) =>
        app.New().UseOpenTelemetryPrometheusScrapingEndpoint(meters, predicate: null, path: "/metrics", configureBranchedPipeline: null, optionsName: null).Build();
}
