namespace Gateway.Dicom.Network;

/// <summary>
/// What became of one object sent with C-STORE: the peer's status, or why it was not sent at all (no accepted
/// presentation context, a compressed object the peer does not accept) — without failing the association.
/// </summary>
public sealed record DicomStoreResult(string SopInstanceUid, DicomStatus? Status, string? NotSentReason = null, string? ConvertedTo = null)
{
    public bool IsSuccess => Status is { IsSuccess: true };

    public override string ToString() =>
        Status is { } s ? $"{SopInstanceUid}: {s}{(ConvertedTo is null ? "" : $" (sent as {ConvertedTo})")}"
        : $"{SopInstanceUid}: not sent: {NotSentReason}";
}
