namespace Gateway.Dicom.Network;

/// <summary>
/// A file sent with an expected SHA-256 (<see cref="DicomClientAssociation.StoreAsync(string, byte[], Action, CancellationToken)"/>)
/// turned out to have other bytes. The bytes are checked as they are read for sending and the sum before the message's
/// last fragment leaves: the association was aborted (A-ABORT), so the peer never completed the object.
/// </summary>
public sealed class PayloadMismatchException(string message) : IOException(message);
