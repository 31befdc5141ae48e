namespace Gateway.Dicom.Network;

/// <summary>Where and as whom an SCU connects.</summary>
public sealed record DicomClientOptions : DicomAssociationOptions
{
    public required string Host { get; init; }
    public required int Port { get; init; }
    public required string CalledAE { get; init; }
    public string CallingAE { get; init; } = "GATEWAY";
    /// <summary>User Identity negotiation for PACS that require it (PS3.7 §D.3.3.7).</summary>
    public UserIdentity? Identity { get; init; }
}
