using Gateway.Dicom.Network;

namespace Gateway.Acquisition.Forwarding;

/// <summary>What to do with a delivery after an attempt (issue #5's failure classes).</summary>
public enum OutcomeKind
{
    Delivered,
    /// <summary>Try again later: refused connection, timeout, abort, A7xx, transient rejection, TLS trouble …</summary>
    Transient,
    /// <summary>Will fail the same way again: A9xx, Cxxx, 0122, permanent rejection, SOP class or syntax not accepted.</summary>
    Permanent,
}

/// <param name="SentSopInstanceUid">The SOP Instance UID the destination was sent when it is not the spooled object's
/// (a lossy transcode on the way made a new instance, issue #19): what storage commitment must ask about.</param>
public sealed record SendOutcome(OutcomeKind Kind, string Detail, string? SentSopInstanceUid = null)
{
    /// <summary>
    /// The destination could not be reached at all — no connection (refused or timed out, TLS failed): nothing about
    /// this object is known, so the whole destination waits one back-off and its queue is drained in order when it
    /// answers again (issue #22). A failure once the association stands (an abort mid-object, A7xx) and a transient
    /// rejection of the association are the object's own: it keeps its own back-off.
    /// </summary>
    public bool Unreachable { get; init; }

    /// <summary>Classifies a C-STORE result: success and warnings are delivered; failures by their status.</summary>
    public static SendOutcome From(DicomStoreResult result)
    {
        if (result.Status is { } s)
        {
            if (s.IsSuccess)
                return new(OutcomeKind.Delivered, s.ToString());
            return new(s.IsTransientFailure ? OutcomeKind.Transient : OutcomeKind.Permanent, s.ToString());
        }
        return new(OutcomeKind.Permanent, "not sent: " + result.NotSentReason);
    }

    /// <summary>
    /// Classifies a transport failure. Only a permanent association rejection is permanent; everything else (refused,
    /// timeout, abort, TLS) is retried — a hospital would rather wait for a fixed certificate than lose a study.
    /// </summary>
    public static SendOutcome From(DicomNetworkException e) => e switch
    {
        DicomAssociationRejectedException { Reject.Result: RejectResult.Permanent } r => new(OutcomeKind.Permanent, r.Message),
        _ => new(OutcomeKind.Transient, e.Message),
    };
}
