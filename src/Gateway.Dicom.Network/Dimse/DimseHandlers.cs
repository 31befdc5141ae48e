namespace Gateway.Dicom.Network;

/// <summary>A request the peer sent on an association, as a handler sees it.</summary>
public sealed class DimseRequest
{
    internal DimseRequest(DimseCommand command, DicomDataset? dataSet, byte contextId, string transferSyntax, string callingAE, string calledAE,
        DimseAssociation? association = null)
    {
        Association = association;
        Command = command;
        DataSet = dataSet;
        ContextId = contextId;
        TransferSyntax = transferSyntax;
        CallingAE = callingAE;
        CalledAE = calledAE;
    }

    public DimseCommand Command { get; }
    /// <summary>The request's data set (N-CREATE attributes, N-SET modifications, N-ACTION / N-EVENT-REPORT information), if any.</summary>
    public DicomDataset? DataSet { get; }
    public byte ContextId { get; }
    /// <summary>The transfer syntax of the presentation context it came on.</summary>
    public string TransferSyntax { get; }
    /// <summary>The association-requestor's AE title (the peer's, when the peer opened the association).</summary>
    public string CallingAE { get; }
    public string CalledAE { get; }
    public string SopClassUid => Command.SopClassUid;
    public string SopInstanceUid => Command.SopInstanceUid;

    /// <summary>The association the request came on, for requests back to the peer on it later (never from the handler itself).</summary>
    public DimseAssociation? Association { get; }

    private readonly TaskCompletionSource _responded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes once the response to this request has been handed to the transport (or could not be, the association
    /// being gone): a request back to the peer that must follow the response (Storage Commitment's report after the
    /// N-ACTION response, PS3.4 J.3.3) waits for it.
    /// </summary>
    public Task Responded => _responded.Task;

    internal void MarkResponded() => _responded.TrySetResult();
}

/// <summary>
/// A handler's answer: the response status, the data set the response carries (N-GET attributes, N-CREATE's
/// resulting attributes …), and for N-CREATE the SOP instance the SCP made up when the request named none.
/// </summary>
public sealed record DimseReply(DicomStatus Status, DicomDataset? DataSet = null, string? SopInstanceUid = null)
{
    public static DimseReply Success { get; } = new(DicomStatus.Success);
}

/// <summary>Performs one request from the peer. Runs on the association's reader thread: it must not wait for a response on the same association.</summary>
public delegate ValueTask<DimseReply> DimseRequestHandler(DimseRequest request, CancellationToken ct);

/// <summary>
/// The requests an application entity performs, per command and SOP class — on either side of an association: the
/// SCP's N-CREATE of MPPS, the SCU's N-EVENT-REPORT of Storage Commitment arriving on the association it opened. A
/// request with no handler is answered with a status (PS3.7 Annex C): 0211 "unrecognized operation" when nothing
/// here performs that command, 0122 "SOP class not supported" when the command is performed for other SOP classes.
/// Adding a service is one registration: <c>handlers.On(CommandField.NCreateRequest, uid, handler)</c>.
/// </summary>
public sealed class DimseHandlers
{
    private readonly Dictionary<(CommandField, string), DimseRequestHandler> _handlers = [];
    private readonly Dictionary<string, (bool Scu, bool Scp)> _roles = new(StringComparer.Ordinal);

    /// <summary>No handler at all (the default of an SCU: every request from the peer gets its status).</summary>
    public static DimseHandlers None => new();

    /// <summary>
    /// Performs <paramref name="request"/> of <paramref name="sopClassUid"/> with <paramref name="handler"/>. The local AE
    /// is then the SOP class's SCP for N-CREATE, N-SET, N-GET, N-ACTION, N-DELETE, C-ECHO, C-FIND and C-STORE, and its SCU
    /// for N-EVENT-REPORT (the service user receives event reports, PS3.7 §10.1.1).
    /// </summary>
    public DimseHandlers On(CommandField request, string sopClassUid, DimseRequestHandler handler)
    {
        if (((ushort)request & 0x8000) != 0 || request == CommandField.CCancelRequest)
            throw new ArgumentException($"{request} is not a request a handler can perform", nameof(request));
        _handlers[(request, sopClassUid)] = handler;
        var role = _roles.GetValueOrDefault(sopClassUid);
        _roles[sopClassUid] = request == CommandField.NEventReportRequest ? role with { Scu = true } : role with { Scp = true };
        return this;
    }

    /// <summary>The SOP classes something here performs, with the roles that takes (for negotiation and role selection).</summary>
    public IReadOnlyDictionary<string, (bool Scu, bool Scp)> Roles => _roles;

    internal DimseRequestHandler? Find(CommandField request, string sopClassUid, out bool commandKnown)
    {
        commandKnown = _handlers.Keys.Any(k => k.Item1 == request);
        return _handlers.GetValueOrDefault((request, sopClassUid));
    }
}

/// <summary>A response we received to a request we sent: its command (status …) and data set, if any.</summary>
public sealed record DimseResponse(DimseCommand Command, DicomDataset? DataSet)
{
    public DicomStatus Status => Command.Status;
}
