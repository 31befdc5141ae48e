namespace Gateway.Telemetry.Fleet;

/// <summary>
/// What `gateway fleet` listens to and how much it keeps (issue #21). Every bound exists because the payloads come
/// from the broker, i.e. from anyone who may publish there: the view's memory stays bounded whatever they send.
/// </summary>
public sealed record FleetOptions
{
    /// <summary>Topics are &lt;prefix&gt;/&lt;box&gt;/status|health|events; alarms go to &lt;prefix&gt;/fleet/alarms/&lt;box&gt;.</summary>
    public string TopicPrefix { get; init; } = "gateway";

    /// <summary>The boxes' health interval: a box silent for <see cref="SilentAfterIntervals"/> of them counts as offline.</summary>
    public TimeSpan HealthInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// An "online" box that published nothing for this many health intervals is shown offline (a bridge or a site
    /// link that broke leaves the last retained "online" on the central broker, and no will fires there).
    /// </summary>
    public int SilentAfterIntervals { get; init; } = 3;

    /// <summary>Boxes kept; messages from further box ids are dropped (and counted).</summary>
    public int MaxBoxes { get; init; } = 5000;

    /// <summary>Recent events kept per box (the oldest go).</summary>
    public int EventsPerBox { get; init; } = 50;

    /// <summary>Larger payloads are dropped unread (a box's health with 64 destinations is under 16 KiB).</summary>
    public int MaxPayloadBytes { get; init; } = 64 * 1024;

    /// <summary>Destinations kept per box: a health message with more is dropped.</summary>
    public int MaxDestinations { get; init; } = 64;

    public FleetAlarmThresholds Alarms { get; init; } = new();

    /// <summary>
    /// A box offline (or silent) and not heard from for longer than this is forgotten: dropped from the view and its
    /// retained alarm deleted from the broker (a box taken out of service would otherwise keep its offline alarm
    /// retained for ever). Null: boxes are kept until their retained status is deleted.
    /// </summary>
    public TimeSpan? ForgetAfter { get; init; } = TimeSpan.FromDays(7);

    public TimeSpan SilentAfter => HealthInterval * SilentAfterIntervals;

    public string AlarmTopic(string boxId) => $"{TopicPrefix}/{FleetState.ReservedBoxId}/alarms/{boxId}";
}
