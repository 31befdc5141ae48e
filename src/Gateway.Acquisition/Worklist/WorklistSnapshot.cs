namespace Gateway.Acquisition.Worklist;

/// <summary>
/// A worklist as last fetched: its items, when the RIS gave them, and — when they come from the file because the RIS
/// could not be asked — why (<see cref="StaleBecause"/>). A stale list is still the technician's to pick from.
/// </summary>
public sealed record WorklistSnapshot(IReadOnlyList<WorklistItem> Items, DateTimeOffset FetchedAt, string? StaleBecause = null)
{
    public bool IsStale => StaleBecause is not null;
}
