namespace Gateway.Acquisition.Worklist;

/// <summary>A query's outcome: the matches, or why there are none to trust (a refusal or failure status).</summary>
public sealed record WorklistFetch(IReadOnlyList<WorklistItem>? Items, string? Problem)
{
    public static WorklistFetch Failed(string problem) => new(null, problem);
}
