using System.Text.Json.Serialization;

namespace Gateway.Acquisition.Commitment;

/// <summary>One instance a modality asked us to commit (an item of its Referenced SOP Sequence, PS3.4 J.3.2.1).</summary>
public sealed record RequestedInstance(string SopClassUid, string SopInstanceUid);

/// <summary>
/// A Storage Commitment request from a modality, kept durably until its report is delivered (issue #18, the SCP side):
/// the N-ACTION's Transaction UID and instances, who asked, when, and how the report went so far.
/// </summary>
/// <param name="Id">Our name for it (and its file's): ticks-sequence, never anything received.</param>
/// <param name="DuplicateOf">The transaction was already pending with other instances: every instance of this one is
/// reported failed with 0131H (duplicate transaction UID, PS3.4 J.3.3.1.1).</param>
public sealed record CommitmentRequest(string Id, string TransactionUid, string CallingAE, DateTimeOffset Received, IReadOnlyList<RequestedInstance> Instances,
    int Attempts = 0, DateTimeOffset NextAttempt = default, string? LastError = null, bool DuplicateOf = false);

[JsonSerializable(typeof(CommitmentRequest))]
[JsonSourceGenerationOptions(WriteIndented = false, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class CommitmentRequestJson : JsonSerializerContext;
