using Gateway.Dicom;

namespace Gateway.Acquisition.Worklist;

/// <summary>
/// One match of a worklist query — a Requested Procedure with its Scheduled Procedure Step (PS3.4 K.6: one step per
/// response) — typed, with the <see cref="Identifier"/> as the RIS sent it. A reply with a missing or malformed
/// required key is kept with <see cref="Problems"/> naming each (issue #17: never silently dropped or guessed);
/// the rule is <see cref="WorklistItemReader"/>'s and docs/conformance.md's.
/// </summary>
public sealed record WorklistItem
{
    public required DicomDataset Identifier { get; init; }
    public IReadOnlyList<string> Problems { get; init; } = [];

    public string? PatientName { get; init; }
    public string? PatientId { get; init; }
    public string? IssuerOfPatientId { get; init; }
    public DateOnly? PatientBirthDate { get; init; }
    public string? PatientSex { get; init; }
    public IReadOnlyList<WorklistOtherId> OtherPatientIds { get; init; } = [];
    public string? AccessionNumber { get; init; }
    public string? RequestedProcedureId { get; init; }
    public string? RequestedProcedureDescription { get; init; }
    public IReadOnlyList<WorklistCode> RequestedProcedureCodes { get; init; } = [];
    public string? StudyInstanceUid { get; init; }
    public string? ReferringPhysicianName { get; init; }

    public string? StepId { get; init; }
    public DateOnly? StepStartDate { get; init; }
    public TimeOnly? StepStartTime { get; init; }
    public string? Modality { get; init; }
    public string? ScheduledStationAeTitle { get; init; }
    public string? ScheduledStationName { get; init; }
    public string? StepDescription { get; init; }
    public IReadOnlyList<WorklistCode> ProtocolCodes { get; init; } = [];

    public bool IsUsable => Problems.Count == 0;
}
