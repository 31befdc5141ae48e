using Microsoft.Extensions.Logging;

namespace Gateway.Web.Metrics;

/// <summary>The box's own /metrics log messages (5010–5019).</summary>
internal static partial class MetricsLog
{
    [LoggerMessage(5010, LogLevel.Warning, "metrics: /metrics refused to {Remote} (not in metrics.allow)")]
    public static partial void Refused(ILogger logger, string remote);
}
