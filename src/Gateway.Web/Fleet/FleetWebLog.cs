using Microsoft.Extensions.Logging;

namespace Gateway.Web.Fleet;

/// <summary>The fleet view's web log messages (5120–5129).</summary>
internal static partial class FleetWebLog
{
    [LoggerMessage(5120, LogLevel.Warning, "fleet: /metrics refused to {Remote} (not in metricsAllow of --config)")]
    public static partial void MetricsRefused(ILogger logger, string remote);
}
