using Gateway.Shared;
using Microsoft.Extensions.Logging;

namespace Gateway.Dicom.Network;

/// <summary>
/// What the storage SCP does as the user of one association a peer opened: decides the A-ASSOCIATE indication (AE
/// titles, limits, presentation contexts, roles, the asynchronous operations window), writes each C-STORE data set to
/// a file as it arrives and answers with the outcome, and hands every other request to the DIMSE service layer's
/// handlers (<see cref="DicomServerOptions.Handlers"/>; unsupported ones get their status).
/// </summary>
internal sealed class ServerAssociation(DicomServerOptions options, ILogger logger, Func<bool> overLimit) : IDisposable
{
    private readonly Dictionary<byte, string> _abstractSyntax = [];
    private readonly Dictionary<byte, string> _transferSyntax = [];
    private readonly DimseHandlers _handlers = options.Handlers ?? DimseHandlers.None;
    private string _callingAE = "";
    private string _peer = "?";
    private IncomingObject? _incoming;
    private CancellationToken _stop;

    public async Task RunAsync(DicomConnection connection, CancellationToken stop)
    {
        _peer = connection.Peer;
        _stop = stop;
        try
        {
            await DimseService.ServeAsync(options, connection, _handlers, logger, Decide, OpenStoreSink, Store,
                reason => NetworkLog.AssociationAborted(logger, _peer, reason), stop, out _).ConfigureAwait(false);
            NetworkLog.ConnectionClosed(logger, _peer, "association over");
        }
        finally
        {
            Dispose();
        }
    }

    /// <summary>An object whose transfer did not complete is never kept.</summary>
    public void Dispose()
    {
        _incoming?.Discard();
        _incoming = null;
    }

    private (AssociateAccept?, AssociateReject?) Decide(AssociateRequest rq)
    {
        _callingAE = rq.CallingAE;
        var reject = Refusal(rq);
        if (reject is not null)
        {
            NetworkLog.AssociationRejected(logger, LogText.Quote(rq.CallingAE), LogText.Quote(rq.CalledAE), _peer, reject.Describe());
            return (null, reject);
        }
        var answers = Negotiate(rq);
        var accepted = _abstractSyntax.Values.ToHashSet(StringComparer.Ordinal);
        var ac = new AssociateAccept(rq.CalledAE, rq.CallingAE, answers, new UserInformation
        {
            MaxPduLength = options.MaxPduLength,
            ImplementationClassUid = DicomImplementation.ClassUid,
            ImplementationVersionName = DicomImplementation.VersionName,
            // PS3.7 D.3.3.4: each proposed role item of an accepted SOP class is answered: the requestor may be the
            // SCU where we perform the service, and the SCP where we use it (Storage Commitment's event reports).
            Roles = [.. rq.User.Roles.Where(r => accepted.Contains(r.SopClassUid)).Select(Answer)],
            // PS3.7 D.3.3.3: one operation at a time, each way (answered only when proposed).
            AsyncOperations = rq.User.AsyncOperations is null ? null : ((ushort)1, (ushort)1),
        });
        NetworkLog.AssociationAccepted(logger, LogText.Quote(rq.CallingAE), LogText.Quote(rq.CalledAE), _peer, _transferSyntax.Count);
        return (ac, null);
    }

    /// <summary>The roles we take for a SOP class: SCP of storage and verification and of what a handler performs, SCU where a handler receives event reports.</summary>
    private (bool Scu, bool Scp) OurRoles(string sopClass) =>
        _handlers.Roles.TryGetValue(sopClass, out var roles) ? roles with { Scp = roles.Scp || options.AcceptSopClass(sopClass) }
            : (false, options.AcceptSopClass(sopClass));

    private RoleSelection Answer(RoleSelection proposed)
    {
        var (scu, scp) = OurRoles(proposed.SopClassUid);
        return new RoleSelection(proposed.SopClassUid, proposed.ScuRole && scp, proposed.ScpRole && scu);
    }

    private AssociateReject? Refusal(AssociateRequest rq)
    {
        if (rq.ApplicationContext != AssociateRequest.DicomApplicationContext)
            return new AssociateReject(RejectResult.Permanent, RejectSource.ServiceUser, AssociateReject.ApplicationContextNotSupported);
        if (options.CheckCalledAE && !string.Equals(rq.CalledAE, options.AeTitle, StringComparison.Ordinal) && options.AlsoCalled?.Invoke(rq.CalledAE) != true)
            return new AssociateReject(RejectResult.Permanent, RejectSource.ServiceUser, AssociateReject.CalledAENotRecognized);
        if (options.AllowedCallingAEs is { } allowed && !allowed.Contains(rq.CallingAE))
            return new AssociateReject(RejectResult.Permanent, RejectSource.ServiceUser, AssociateReject.CallingAENotRecognized);
        if (overLimit())
            return new AssociateReject(RejectResult.Transient, RejectSource.ServiceProviderPresentation, AssociateReject.LocalLimitExceeded);
        return null;
    }

    private List<PresentationContextAnswer> Negotiate(AssociateRequest rq)
    {
        var answers = new List<PresentationContextAnswer>();
        foreach (var pc in rq.Contexts)
        {
            var handled = _handlers.Roles.ContainsKey(pc.AbstractSyntax);
            if (!options.AcceptSopClass(pc.AbstractSyntax) && !handled)
            {
                answers.Add(new PresentationContextAnswer(pc.Id, PresentationContextResult.AbstractSyntaxNotSupported, DicomUids.ImplicitVRLittleEndian));
                continue;
            }
            // The SCU's order of preference: for storage any syntax we can store (we keep the bytes as they come); for
            // the other services one we read and write (their data sets are parsed).
            // Refused for storage too (docs/conformance.md "Transfer syntaxes and transcoding"): big endian is read, never
            // written; MIME, XML and Papyrus 3 (all retired) do not carry a binary data set we parse.
            var ts = pc.TransferSyntaxes.FirstOrDefault(t => t is not (DicomUids.ExplicitVRBigEndian or DicomUids.RFC2557MIMEEncapsulation or DicomUids.XMLEncoding or DicomUids.Papyrus3ImplicitVRLittleEndian)
                && (t is DicomUids.ImplicitVRLittleEndian or DicomUids.ExplicitVRLittleEndian or DicomUids.DeflatedExplicitVRLittleEndian
                || (!handled && DicomUid.Find(t) is { Type: "Transfer Syntax" })));
            if (ts is null)
            {
                answers.Add(new PresentationContextAnswer(pc.Id, PresentationContextResult.TransferSyntaxesNotSupported, DicomUids.ImplicitVRLittleEndian));
                continue;
            }
            _abstractSyntax[pc.Id] = pc.AbstractSyntax;
            _transferSyntax[pc.Id] = ts;
            answers.Add(new PresentationContextAnswer(pc.Id, PresentationContextResult.Acceptance, ts));
        }
        return answers;
    }

    private Stream? OpenStoreSink(DimseMessage message)
    {
        _incoming = new IncomingObject(options.OutputDirectory, message.Command.AffectedSopClassUid, message.Command.AffectedSopInstanceUid,
            _transferSyntax[message.ContextId], _callingAE, options.SyncReceived);
        return _incoming;
    }

    /// <summary>A C-STORE request is complete: make it durable, hand it on, and say how it went.</summary>
    private DicomStatus Store(DimseMessage message, Stream sink, string abstractSyntax)
    {
        if (_incoming is not { } incoming)
            return new DicomStatus(0xC000, "a C-STORE request without a data set"); // Command Data Set Type said none
        _incoming = null;
        if (message.Command.AffectedSopClassUid != abstractSyntax)
        {
            incoming.Discard();
            return new DicomStatus(0xA900, "SOP class differs from the presentation context's abstract syntax");
        }
        var stored = incoming.Complete();
        if (stored is null)
        {
            NetworkLog.StoreFailed(logger, LogText.Quote(incoming.SopInstance), LogText.Quote(_callingAE), incoming.Failure ?? "unknown");
            return incoming.Failure?.StartsWith("the data set", StringComparison.Ordinal) == true
                ? new DicomStatus(0xC000, incoming.Failure)
                : new DicomStatus(0xA700, incoming.Failure);
        }
        DicomStatus status;
        try
        {
            // On the association's reader thread: the next request waits for this one's outcome (window 1).
            // Without SyncReceived the file is not durable until a receiver makes it so: no receiver, no success.
            status = options.OnStored is { } onStored ? onStored(stored, _stop).AsTask().GetAwaiter().GetResult()
                : options.SyncReceived ? DicomStatus.Success : DicomStatus.ProcessingFailure;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever the receiver's failure (a full disk, an object it cannot read), the modality hears a failure
            // status for this object and the association goes on.
            status = new DicomStatus(0x0110, e.Message);
        }
        if (status.IsSuccess)
            NetworkLog.Stored(logger, LogText.Quote(stored.SopInstanceUid), DicomUid.NameOf(stored.SopClassUid), LogText.Quote(_callingAE), status.ToString());
        else
            NetworkLog.StoreFailed(logger, LogText.Quote(stored.SopInstanceUid), LogText.Quote(_callingAE), status.ToString());
        return status;
    }
}
