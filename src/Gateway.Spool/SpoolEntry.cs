using System.Text.Json.Serialization;

namespace Gateway.Spool;

/// <summary>Where an object stands with one destination.</summary>
public enum DeliveryState
{
    /// <summary>Waiting to be sent (at or after <see cref="Delivery.NextAttempt"/>).</summary>
    Pending,
    /// <summary>The destination confirmed it.</summary>
    Done,
    /// <summary>Refused for good (dead letter), with the reason; `gateway spool retry` puts it back to pending.</summary>
    Dead,
}

/// <summary>One destination's state of an entry: persisted on every change that matters after a restart.</summary>
public sealed record Delivery(DeliveryState State, int Attempts, DateTimeOffset NextAttempt, string? LastError);

/// <summary>
/// An object in the spool: identity, checksum and size of the payload, routing facts, and one <see cref="Delivery"/>
/// per destination it was routed to. Immutable: changes make a new entry that is written durably.
/// </summary>
public sealed record SpoolEntry(
    string Id, DateTimeOffset Created, long Size, string Sha256,
    string SopClassUid, string SopInstanceUid, string Modality, string Source,
    IReadOnlyDictionary<string, Delivery> Deliveries, string? SourceKey = null)
{
    [JsonIgnore]
    public bool IsFinished => Deliveries.Values.All(d => d.State != DeliveryState.Pending);

    [JsonIgnore]
    public bool HasDeadLetters => Deliveries.Values.Any(d => d.State == DeliveryState.Dead);

    public SpoolEntry With(string destination, Delivery delivery) =>
        this with { Deliveries = new Dictionary<string, Delivery>(Deliveries) { [destination] = delivery } };
}

/// <summary>The facts an enqueue needs besides the bytes (read from the object by the caller).</summary>
/// <param name="SourceKey">What the producer needs to recognise this object's input again after a restart (a device
/// frame's fingerprint), committed atomically with the entry; opaque to the spool.</param>
public sealed record SpoolObjectInfo(string SopClassUid, string SopInstanceUid, string Modality, string Source, string? SourceKey = null);

[JsonSerializable(typeof(SpoolEntry))]
[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true)]
internal sealed partial class SpoolJson : JsonSerializerContext;
