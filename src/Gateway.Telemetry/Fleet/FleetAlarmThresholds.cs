namespace Gateway.Telemetry.Fleet;

/// <summary>When an alarm is raised (issue #21); null turns that alarm off. Cleared as soon as the condition is gone.</summary>
public sealed record FleetAlarmThresholds
{
    /// <summary>Raised when a box has been offline (last will, clean stop, or silent) longer than this.</summary>
    public TimeSpan? Offline { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Raised when the oldest object waiting for any destination is older than this.</summary>
    public TimeSpan? SpoolOldest { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>Raised while any destination has a dead letter.</summary>
    public bool DeadLetters { get; init; } = true;

    /// <summary>Raised when the spool's disk has less free space than this.</summary>
    public long? DiskFreeBelowBytes { get; init; } = 1024L * 1024 * 1024;

    /// <summary>Raised when the CPU temperature is above this.</summary>
    public double? TemperatureAboveC { get; init; } = 80;

    /// <summary>Raised when the device link has been "disconnected" longer than this.</summary>
    public TimeSpan? DeviceDisconnected { get; init; } = TimeSpan.FromMinutes(10);
}
