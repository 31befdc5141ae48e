namespace Gateway.Dicom.Network;

/// <summary>The transport broke or a peer could not be reached: refused, reset, timed out, TLS failure (STYLE 5).</summary>
public class DicomNetworkException : Exception
{
    public DicomNetworkException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>True when trying again later may succeed (refused, timeout, reset); false for configuration faults (TLS trust).</summary>
    public bool IsTransient { get; init; } = true;
}

/// <summary>The peer rejected the association (A-ASSOCIATE-RJ).</summary>
public sealed class DicomAssociationRejectedException(AssociateReject reject)
    : DicomNetworkException($"association {reject.Describe()}")
{
    public AssociateReject Reject { get; } = reject;
}

/// <summary>The association was aborted (A-ABORT received, or we aborted after a protocol error).</summary>
public sealed class DicomAbortedException(string message, AbortRequest? abort = null) : DicomNetworkException(message)
{
    public AbortRequest? Abort { get; } = abort;
}
