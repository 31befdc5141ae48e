namespace Gateway.Telemetry.Fleet;

/// <summary>One raised alarm of a box: its kind, since when the condition holds, and the figure that raised it.</summary>
public sealed record FleetAlarm(string Kind, DateTimeOffset Since, string Detail)
{
    public const string Offline = "offline";
    public const string SpoolOldest = "spool-oldest";
    public const string DeadLetters = "dead-letters";
    public const string DiskLow = "disk-low";
    public const string TemperatureHigh = "temperature-high";
    public const string DeviceDisconnected = "device-disconnected";

    public static readonly IReadOnlyList<string> Kinds = [Offline, SpoolOldest, DeadLetters, DiskLow, TemperatureHigh, DeviceDisconnected];
}

/// <summary>&lt;prefix&gt;/fleet/alarms/&lt;box&gt; (retained): the box's raised alarms; an empty list clears them.</summary>
public sealed record AlarmMessage(int Schema, string BoxId, DateTimeOffset Time, IReadOnlyList<FleetAlarm> Alarms);
