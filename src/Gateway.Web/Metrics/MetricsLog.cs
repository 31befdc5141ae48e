using Microsoft.Extensions.Logging;

namespace Gateway.Web.Metrics;

/// <summary>The /metrics listener's log messages, the box's and the fleet view's (5010–5019).</summary>
internal static partial class MetricsLog
{
    [LoggerMessage(5010, LogLevel.Warning, "metrics: /metrics refused to {Remote} (not in metrics.allow)")]
    public static partial void Refused(ILogger logger, string remote);

    [LoggerMessage(5011, LogLevel.Warning, "/metrics on {Listen}: accepting a connection failed ({Reason}); trying again in a second")]
    public static partial void AcceptFailed(ILogger logger, string listen, string reason);

    [LoggerMessage(5012, LogLevel.Debug, "/metrics: the connection from {Remote} ended before its answer ({Reason})")]
    public static partial void ConnectionEnded(ILogger logger, string remote, string reason);

    [LoggerMessage(5013, LogLevel.Warning, "/metrics: answering {Remote} failed")]
    public static partial void ConnectionFailed(ILogger logger, string remote, Exception exception);
}
