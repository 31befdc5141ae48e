using Microsoft.Extensions.Logging;

namespace Gateway.Telemetry.Fleet;

/// <summary>`gateway fleet` log messages with stable event ids (5101–5119). Box ids and counts only; never a payload.</summary>
internal static partial class FleetLog
{
    [LoggerMessage(5101, LogLevel.Information, "fleet view subscribed to {Host}:{Port} ({Filter}) as {ClientId}")]
    public static partial void Subscribed(ILogger logger, string host, int port, string filter, string clientId);

    [LoggerMessage(5102, LogLevel.Warning, "fleet view: broker {Host}:{Port} unreachable: {Reason}; retrying in {DelaySeconds:F0} s")]
    public static partial void Unreachable(ILogger logger, string host, int port, string reason, double delaySeconds);

    [LoggerMessage(5103, LogLevel.Warning, "fleet view: a message on a {Leaf} topic was dropped: {Reason} (counted in gateway_fleet_dropped_messages)")]
    public static partial void Dropped(ILogger logger, string leaf, FleetDropReason reason);

    [LoggerMessage(5104, LogLevel.Warning, "alarm raised for box {BoxId}: {Kind} ({Detail})")]
    public static partial void AlarmRaised(ILogger logger, string boxId, string kind, string detail);

    [LoggerMessage(5105, LogLevel.Information, "alarm cleared for box {BoxId}: {Kind}")]
    public static partial void AlarmCleared(ILogger logger, string boxId, string kind);

    [LoggerMessage(5107, LogLevel.Information, "box {BoxId} forgotten: offline and not heard from since {LastHeard:O}, longer than forgetAfterHours ({Hours}); its retained alarm deleted (was: {Alarms})")]
    public static partial void BoxForgotten(ILogger logger, string boxId, DateTimeOffset lastHeard, double hours, string alarms);

    [LoggerMessage(5108, LogLevel.Information, "box {BoxId} removed: its retained status was deleted on the broker; its retained alarm deleted (was: {Alarms})")]
    public static partial void BoxRemoved(ILogger logger, string boxId, string alarms);

    [LoggerMessage(5106, LogLevel.Error, "fleet view: handling a message failed: {Reason}")]
    public static partial void HandlerFailed(ILogger logger, string reason);
}
