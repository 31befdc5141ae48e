namespace Gateway.Telemetry.Fleet;

/// <summary>Why the fleet view dropped a message (counted per reason: the metric gateway_fleet_dropped_messages).</summary>
public enum FleetDropReason
{
    /// <summary>Not &lt;prefix&gt;/&lt;box&gt;/status|health|events.</summary>
    Topic,
    /// <summary>The box id is not 1–64 letters, digits, '-' or '_' (or is the reserved "fleet").</summary>
    BoxId,
    /// <summary>Larger than <see cref="FleetOptions.MaxPayloadBytes"/>.</summary>
    Size,
    /// <summary>Not JSON of the message's form.</summary>
    Json,
    /// <summary>A schema other than 1.</summary>
    Schema,
    /// <summary>The payload's boxId is not the topic's.</summary>
    BoxMismatch,
    /// <summary>JSON of the right form with values out of range (negative counts, unknown state, too many destinations…).</summary>
    Invalid,
    /// <summary>A new box beyond <see cref="FleetOptions.MaxBoxes"/>.</summary>
    TooManyBoxes,
    /// <summary>
    /// A retained status or health of a box the view forgot (<see cref="FleetState.ForgetVanished"/>), no newer than
    /// what it had then: the broker sends it again after every reconnect. Not hostile, so not logged.
    /// </summary>
    Forgotten,
}
