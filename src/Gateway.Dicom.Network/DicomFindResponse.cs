namespace Gateway.Dicom.Network;

/// <summary>
/// One C-FIND response: a pending one with its match (<see cref="Identifier"/>), or the final one (success, cancel,
/// refusal or failure) without. Outcomes are values: a refused query is a final response, not an exception.
/// </summary>
public sealed record DicomFindResponse(DicomStatus Status, DicomDataset? Identifier)
{
    /// <summary>FF00 and FF01: a match, more to come (PS3.4 C.4.1.1.4).</summary>
    public bool IsPending => Status.Code is 0xFF00 or 0xFF01;
}
