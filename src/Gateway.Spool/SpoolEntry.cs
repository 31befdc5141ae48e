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
    /// <summary>
    /// Stored by the destination, which has not yet taken responsibility for it (Storage Commitment, issue #18): the
    /// payload stays until the archive's report commits it. <see cref="Delivery.Transaction"/> is the request it is in
    /// (null: not yet asked); <see cref="Delivery.NextAttempt"/> is when to ask (again).
    /// </summary>
    AwaitingCommitment,
}

/// <summary>One destination's state of an entry: persisted on every change that matters after a restart.</summary>
/// <param name="Transaction">Storage Commitment: the Transaction UID of the newest request that names this object.</param>
/// <param name="EarlierTransactions">Storage Commitment: earlier requests' Transaction UIDs (newest first, at most
/// <see cref="SpoolEntryValidator.MaxEarlierTransactions"/>), so that a late report to one of them still counts.</param>
/// <param name="CommitRequests">Storage Commitment: how often commitment was asked for since the object was last stored.</param>
/// <param name="Stored">Storage Commitment: how often the destination stored the object (a failed commitment sends it again).</param>
/// <param name="SentSopInstanceUid">Storage Commitment: the SOP Instance UID the destination stored when it differs from
/// the entry's (a lossy transcode on the way makes a new instance, issue #19); null — the entry's own.</param>
public sealed record Delivery(DeliveryState State, int Attempts, DateTimeOffset NextAttempt, string? LastError,
    string? Transaction = null, IReadOnlyList<string>? EarlierTransactions = null, int CommitRequests = 0, int Stored = 0,
    string? SentSopInstanceUid = null)
{
    /// <summary>Whether a commitment report for <paramref name="transaction"/> speaks of this delivery.</summary>
    public bool InTransaction(string transaction) =>
        State == DeliveryState.AwaitingCommitment && (Transaction == transaction || (EarlierTransactions?.Contains(transaction) ?? false));
}

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
    public bool IsFinished => Deliveries.Values.All(d => d.State is DeliveryState.Done or DeliveryState.Dead);

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
