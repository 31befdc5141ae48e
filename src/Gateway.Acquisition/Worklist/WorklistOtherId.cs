namespace Gateway.Acquisition.Worklist;

/// <summary>An item of Other Patient IDs Sequence (0010,1002).</summary>
public sealed record WorklistOtherId(string PatientId, string? Issuer);
