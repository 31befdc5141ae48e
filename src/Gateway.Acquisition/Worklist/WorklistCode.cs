namespace Gateway.Acquisition.Worklist;

/// <summary>A code sequence item (PS3.3 Table 8.8-1): value, scheme, meaning.</summary>
public sealed record WorklistCode(string? Value, string? Scheme, string? Meaning);
