using System.Text.Json.Serialization;

namespace Gateway.Telemetry;

/// <summary>gateway/&lt;boxId&gt;/status (retained): "online" once connected, "offline" from the broker's last will or a clean stop.</summary>
public sealed record StatusMessage(int Schema, string BoxId, string State, DateTimeOffset Time);

/// <summary>gateway/&lt;boxId&gt;/events: one thing that happened. Never patient data: UIDs, names of destinations, reasons.</summary>
public sealed record TelemetryEvent(string Kind, string Detail, string? Destination = null)
{
    public const string Acquired = "acquired";
    public const string Sent = "sent";
    public const string Retrying = "retrying";
    public const string DeadLettered = "dead-lettered";
    public const string QuotaReached = "quota-reached";
    public const string ConfigChanged = "config-changed";
    public const string ConfigRejected = "config-rejected";
    public const string DeviceConnected = "device-connected";
    public const string DeviceDisconnected = "device-disconnected";
    public const string AcquisitionFailed = "acquisition-failed";
    /// <summary>A storage commitment report went to a modality (issue #18, the SCP side).</summary>
    public const string CommitmentReported = "commitment-reported";
    /// <summary>A storage commitment report to a modality could not be delivered and was given up.</summary>
    public const string CommitmentReportGivenUp = "commitment-report-given-up";
}

/// <summary>The event as published: with the schema version, the box and the time it happened.</summary>
public sealed record EventMessage(int Schema, string BoxId, DateTimeOffset Time, string Kind, string Detail, string? Destination);

/// <summary>gateway/&lt;boxId&gt;/health, every healthInterval and on every (re)connect.</summary>
public sealed record HealthMessage
{
    public int Schema { get; init; } = 1;
    public string BoxId { get; init; } = "";
    public DateTimeOffset Time { get; init; }
    public string Version { get; init; } = "";
    public long UptimeSeconds { get; init; }
    public DeviceHealth? Device { get; init; }
    public SpoolHealth Spool { get; init; } = new();
    public IReadOnlyList<DestinationHealth> Destinations { get; init; } = [];
    public long? DiskFreeBytes { get; init; }
    public long MemoryBytes { get; init; }
    public double? CpuTemperatureC { get; init; }
    /// <summary>Events dropped because the broker was unreachable longer than the buffer lasts.</summary>
    public long EventsDropped { get; init; }
    /// <summary>The MPPS queue (issue #17); null when no MPPS SCP is configured.</summary>
    public MppsHealth? Mpps { get; init; }
    /// <summary>Modalities' storage commitment requests waiting for their report (issue #18); null when the SCP side is off.</summary>
    public ModalityCommitmentHealth? ModalityCommitment { get; init; }
}

/// <summary>Pending storage commitment requests of modalities, and the age of the oldest.</summary>
public sealed record ModalityCommitmentHealth(int Pending, long? OldestPendingSeconds);

/// <summary>MPPS messages by state (counts only), and how long the oldest waiting one has waited.</summary>
public sealed record MppsHealth(int Pending, int Failed, int Sent, long? OldestPendingSeconds);

public sealed record DeviceHealth(string Profile, string Link, DateTimeOffset? LastAcquired, long Acquired, long Failures, string? Problem);

public sealed record SpoolHealth
{
    public int Entries { get; init; }
    public long Bytes { get; init; }
}

/// <param name="AwaitingCommitment">Objects the destination stored but has not yet committed (Storage Commitment, issue #18).</param>
/// <param name="OldestAwaitingCommitmentSeconds">Age of the oldest of them (since it entered the spool).</param>
public sealed record DestinationHealth(string Name, int Pending, long? OldestSeconds, int DeadLetters, DateTimeOffset? LastSuccess, long Failures,
    int AwaitingCommitment = 0, long? OldestAwaitingCommitmentSeconds = null);

[JsonSerializable(typeof(StatusMessage))]
[JsonSerializable(typeof(EventMessage))]
[JsonSerializable(typeof(HealthMessage))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
internal sealed partial class TelemetryJson : JsonSerializerContext;
