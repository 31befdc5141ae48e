namespace Gateway.Dicom.Network;

/// <summary>PDU types of the DICOM upper layer protocol (PS3.8 §9.3.1).</summary>
public enum PduType : byte
{
    AssociateRequest = 0x01,
    AssociateAccept = 0x02,
    AssociateReject = 0x03,
    PData = 0x04,
    ReleaseRequest = 0x05,
    ReleaseResponse = 0x06,
    Abort = 0x07,
}

/// <summary>Result of one presentation context in an A-ASSOCIATE-AC (PS3.8 §9.3.3.2).</summary>
public enum PresentationContextResult : byte
{
    Acceptance = 0,
    UserRejection = 1,
    NoReason = 2,
    AbstractSyntaxNotSupported = 3,
    TransferSyntaxesNotSupported = 4,
}

/// <summary>One presentation context proposed in an A-ASSOCIATE-RQ (PS3.8 §9.3.2.2).</summary>
public sealed record PresentationContextProposal(byte Id, string AbstractSyntax, IReadOnlyList<string> TransferSyntaxes);

/// <summary>One presentation context answered in an A-ASSOCIATE-AC (PS3.8 §9.3.3.2).</summary>
public sealed record PresentationContextAnswer(byte Id, PresentationContextResult Result, string TransferSyntax);

/// <summary>SCP/SCU Role Selection sub-item (PS3.7 §D.3.3.4).</summary>
public sealed record RoleSelection(string SopClassUid, bool ScuRole, bool ScpRole);

/// <summary>User Identity negotiation (PS3.7 §D.3.3.7): type 1 username, 2 username + passcode, 3 Kerberos, 4 SAML, 5 JWT.</summary>
public sealed record UserIdentity(byte Type, bool PositiveResponseRequested, byte[] Primary, byte[] Secondary)
{
    public static UserIdentity UsernamePassword(string user, string password) =>
        new(2, true, System.Text.Encoding.UTF8.GetBytes(user), System.Text.Encoding.UTF8.GetBytes(password));

    /// <summary>Never print the passcode.</summary>
    public override string ToString() => $"UserIdentity(type {Type}, {Primary.Length}-byte primary, secondary hidden)";
}

/// <summary>The User Information item (PS3.8 §9.3.2.3, PS3.7 Annex D.3.3).</summary>
public sealed record UserInformation
{
    /// <summary>The largest P-DATA-TF PDU (its variable field) the sender can receive; 0 means no limit.</summary>
    public uint MaxPduLength { get; init; }
    public string? ImplementationClassUid { get; init; }
    public string? ImplementationVersionName { get; init; }
    /// <summary>Asynchronous Operations Window: (invoked, performed); null when not negotiated (both 1).</summary>
    public (ushort Invoked, ushort Performed)? AsyncOperations { get; init; }
    public IReadOnlyList<RoleSelection> Roles { get; init; } = [];
    public UserIdentity? Identity { get; init; }
    /// <summary>The server response of a User Identity negotiation (in an A-ASSOCIATE-AC).</summary>
    public byte[]? IdentityResponse { get; init; }
    /// <summary>Sub-items we do not interpret (extended negotiation …), kept as (type, bytes).</summary>
    public IReadOnlyList<(byte Type, byte[] Value)> Other { get; init; } = [];
}

/// <summary>A-ASSOCIATE-RQ (PS3.8 §9.3.2).</summary>
public sealed record AssociateRequest(
    string CalledAE, string CallingAE, IReadOnlyList<PresentationContextProposal> Contexts, UserInformation User,
    string ApplicationContext = AssociateRequest.DicomApplicationContext, ushort ProtocolVersion = 1)
{
    /// <summary>The DICOM Application Context Name (PS3.7 §A.2.1).</summary>
    public const string DicomApplicationContext = "1.2.840.10008.3.1.1.1";
}

/// <summary>A-ASSOCIATE-AC (PS3.8 §9.3.3).</summary>
public sealed record AssociateAccept(
    string CalledAE, string CallingAE, IReadOnlyList<PresentationContextAnswer> Contexts, UserInformation User,
    string ApplicationContext = AssociateRequest.DicomApplicationContext, ushort ProtocolVersion = 1);

/// <summary>A-ASSOCIATE-RJ result (PS3.8 Table 9-21).</summary>
public enum RejectResult : byte
{
    Permanent = 1,
    Transient = 2,
}

/// <summary>A-ASSOCIATE-RJ source (PS3.8 Table 9-21).</summary>
public enum RejectSource : byte
{
    ServiceUser = 1,
    ServiceProviderAcse = 2,
    ServiceProviderPresentation = 3,
}

/// <summary>A-ASSOCIATE-RJ (PS3.8 §9.3.4). Reason values depend on the source (<see cref="Describe"/>).</summary>
public sealed record AssociateReject(RejectResult Result, RejectSource Source, byte Reason)
{
    public const byte NoReasonGiven = 1;
    public const byte ApplicationContextNotSupported = 2;
    public const byte CallingAENotRecognized = 3;
    public const byte CalledAENotRecognized = 7;
    public const byte ProtocolVersionNotSupported = 2;
    public const byte TemporaryCongestion = 1;
    public const byte LocalLimitExceeded = 2;

    /// <summary>The reason in plain words, as PS3.8 Table 9-21 names it.</summary>
    public string Describe()
    {
        var reason = (Source, Reason) switch
        {
            (RejectSource.ServiceUser, 1) => "no reason given",
            (RejectSource.ServiceUser, 2) => "application context name not supported",
            (RejectSource.ServiceUser, 3) => "calling AE title not recognized",
            (RejectSource.ServiceUser, 7) => "called AE title not recognized",
            (RejectSource.ServiceProviderAcse, 1) => "no reason given",
            (RejectSource.ServiceProviderAcse, 2) => "protocol version not supported",
            (RejectSource.ServiceProviderPresentation, 1) => "temporary congestion",
            (RejectSource.ServiceProviderPresentation, 2) => "local limit exceeded",
            _ => $"reason {Reason}",
        };
        return $"{(Result == RejectResult.Permanent ? "rejected (permanent)" : "rejected (transient)")}: {reason}";
    }
}

/// <summary>A-ABORT source (PS3.8 Table 9-26).</summary>
public enum AbortSource : byte
{
    ServiceUser = 0,
    Reserved = 1,
    ServiceProvider = 2,
}

/// <summary>A-ABORT reason when the source is the service provider (PS3.8 Table 9-26).</summary>
public enum AbortReason : byte
{
    NotSpecified = 0,
    UnrecognizedPdu = 1,
    UnexpectedPdu = 2,
    Reserved = 3,
    UnrecognizedPduParameter = 4,
    UnexpectedPduParameter = 5,
    InvalidPduParameterValue = 6,
}

/// <summary>A-ABORT (PS3.8 §9.3.8).</summary>
public sealed record AbortRequest(AbortSource Source, AbortReason Reason);

/// <summary>One PDV of a P-DATA-TF (PS3.8 §9.3.5.1, Annex E.2): context, command or data, last fragment or not.</summary>
public readonly record struct Pdv(byte ContextId, bool IsCommand, bool IsLast, int Offset, int Length);
