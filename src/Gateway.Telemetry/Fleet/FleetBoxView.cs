namespace Gateway.Telemetry.Fleet;

/// <summary>
/// One box as the fleet view knows it, a snapshot (immutable). <see cref="Online"/> is the retained status or the
/// will, and false too when the box fell silent; <see cref="Since"/> is when that state began as far as the view can
/// tell (the time it received the change, or for a retained message the box's own time of its last message).
/// </summary>
public sealed record FleetBoxView(
    string BoxId,
    bool Online,
    bool Silent,
    DateTimeOffset? Since,
    DateTimeOffset LastSeen,
    HealthMessage? Health,
    DateTimeOffset? DeviceDisconnectedSince,
    IReadOnlyList<EventMessage> RecentEvents,
    IReadOnlyList<FleetAlarm> Alarms);
