namespace Gateway.Dicom.Network;

/// <summary>
/// The peer broke the upper-layer protocol (a malformed or unexpected PDU). The association is aborted with
/// <see cref="Reason"/>; the message names what was wrong and where.
/// </summary>
public sealed class DicomProtocolException(string message, AbortReason reason = AbortReason.InvalidPduParameterValue)
    : Exception(message)
{
    public AbortReason Reason { get; } = reason;
}
