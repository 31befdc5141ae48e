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
    /// <summary>SCP/SCU Role Selection items to propose (PS3.7 §D.3.3.4): e.g. Storage Commitment, to receive its N-EVENT-REPORT.</summary>
    public IReadOnlyList<RoleSelection> Roles { get; init; } = [];
    /// <summary>Further User Information sub-items sent as given (extended negotiation …): (item type, bytes).</summary>
    public IReadOnlyList<(byte Type, byte[] Value)> ExtendedNegotiation { get; init; } = [];
    /// <summary>Requests the peer may send on this association (an N-EVENT-REPORT after N-ACTION …); others get a status.</summary>
    public DimseHandlers? Handlers { get; init; }
    public Microsoft.Extensions.Logging.ILogger? Logger { get; init; }
}
