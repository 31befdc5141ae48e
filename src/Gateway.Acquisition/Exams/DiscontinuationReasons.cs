namespace Gateway.Acquisition.Exams;

/// <summary>
/// Why an exam was discontinued: PS3.16 CID 9300 "Procedure Discontinuation Reasons" (coding scheme DCM), sent in
/// Performed Procedure Step Discontinuation Reason Code Sequence (0040,0281) of the DISCONTINUED N-SET.
/// </summary>
public static class DiscontinuationReasons
{
    public sealed record Reason(string Code, string Meaning);

    public static IReadOnlyList<Reason> All { get; } =
    [
        new("110500", "Doctor canceled procedure"),
        new("110501", "Equipment failure"),
        new("110502", "Incorrect procedure ordered"),
        new("110503", "Patient allergic to media/contrast"),
        new("110504", "Patient died"),
        new("110505", "Patient refused to continue procedure"),
        new("110506", "Patient taken for treatment or surgery"),
        new("110507", "Patient did not arrive"),
        new("110508", "Patient pregnant"),
        new("110509", "Change of procedure for correct charging"),
        new("110510", "Duplicate order"),
        new("110511", "Nursing unit cancel"),
        new("110512", "Incorrect side ordered"),
        new("110513", "Discontinued for unspecified reason"),
        new("110514", "Incorrect worklist entry selected"),
    ];

    public static Reason? Find(string code) => All.FirstOrDefault(r => r.Code == code);
}
