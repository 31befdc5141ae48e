namespace Gateway.Web;

/// <summary>
/// One Scheduled Procedure Step as the worklist page lists it (issue #17). <see cref="Key"/> is the handle the page
/// sends back to select it (stable across refreshes of the same list: it names the step, not its place in the list).
/// Dates and times are as the RIS sent them, already formatted for a person (yyyy-mm-dd, hh:mm). A step whose reply
/// broke a rule carries <see cref="Problems"/> (each named in plain words) and cannot be selected.
/// </summary>
public sealed record WorklistRow(
    string Key,
    string? PatientName,
    string? PatientId,
    string? BirthDate,
    string? Sex,
    string? AccessionNumber,
    string? RequestedProcedure,
    string? StepDescription,
    string? Modality,
    string? StartDate,
    string? StartTime,
    IReadOnlyList<string> Problems);

/// <summary>
/// The worklist as the page shows it: <see cref="Configured"/> false when no `worklist` section is set (the page then
/// offers manual entry only); <see cref="FetchedAt"/> null before the first answer; <see cref="StaleBecause"/> set when
/// the list is the one kept on disk because the RIS could not be asked (the page says since when).
/// </summary>
public sealed record WorklistView(bool Configured, IReadOnlyList<WorklistRow> Rows, DateTimeOffset? FetchedAt, string? StaleBecause);

/// <summary>
/// The exam the next images go to. <see cref="Source"/>: "worklist" (a selected step), "manual" (typed by the technician:
/// SWF's unscheduled case), "configuration" (the `exam` section of the file), "none". <see cref="State"/>: "selected"
/// (no image yet), "in progress" (images acquired, MPPS IN PROGRESS created or queued). <see cref="Mpps"/> says where the
/// Modality Performed Procedure Step messages are in plain words (null: no MPPS SCP configured).
/// </summary>
public sealed record ExamView(
    string Source,
    string? StepKey,
    string? PatientName,
    string? PatientId,
    string? AccessionNumber,
    string? Procedure,
    string State,
    int Images,
    DateTimeOffset? Started,
    string? Mpps);

/// <summary>A reason to discontinue an exam (PS3.16 CID 9300, scheme DCM), as the cancel form offers it.</summary>
public sealed record DiscontinuationReason(string Code, string Meaning);
