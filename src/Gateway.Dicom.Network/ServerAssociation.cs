using Gateway.Shared;
using Microsoft.Extensions.Logging;

namespace Gateway.Dicom.Network;

/// <summary>
/// The acceptor side of one association, driven by the PS3.8 state machine: Evt5/AE-5 with the ARTIM timer, Evt6/AE-6,
/// AE-7 or AE-8, data transfer (DT-2), release (AR-2, AR-4), abort (AA-3, AA-8) and the close (AR-5, AA-2).
/// </summary>
internal sealed class ServerAssociation(DicomConnection connection, DicomServerOptions options, ILogger logger, Func<bool> overLimit) : IDisposable
{
    private readonly Dictionary<byte, string> _abstractSyntax = [];
    private readonly Dictionary<byte, string> _transferSyntax = [];
    private string _callingAE = "";
    private IncomingObject? _incoming;

    public async Task RunAsync(CancellationToken stop)
    {
        connection.Transition(UlEvent.Evt5); // AE-5: start ARTIM
        try
        {
            if (!await EstablishAsync(stop).ConfigureAwait(false))
                return;
            await TransferAsync(stop).ConfigureAwait(false);
        }
        catch (DicomProtocolException e)
        {
            // Evt19 in any state with a connection: AA-1 (Sta2) or AA-8 — send A-ABORT, then close.
            if (connection.State is not UlState.Sta1 and not UlState.Sta13)
                connection.Transition(UlEvent.Evt19);
            await connection.TrySendAbortAsync(AbortSource.ServiceProvider, e.Reason).ConfigureAwait(false);
            NetworkLog.AssociationAborted(logger, connection.Peer, e.Message);
        }
        catch (ConnectionClosedException e)
        {
            if (connection.State is not UlState.Sta1 and not UlState.Sta13)
                connection.Transition(UlEvent.Evt17); // AA-4 / AA-5
            NetworkLog.ConnectionClosed(logger, connection.Peer, e.Message);
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

    private async Task<bool> EstablishAsync(CancellationToken stop)
    {
        ReceivedPdu pdu;
        using (var artim = CancellationTokenSource.CreateLinkedTokenSource(stop))
        {
            artim.CancelAfter(options.AssociationTimeout);
            try
            {
                pdu = await connection.ReadAsync(artim.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                connection.Transition(UlEvent.Evt18); // AA-2: close
                NetworkLog.ConnectionClosed(logger, connection.Peer, "no A-ASSOCIATE-RQ before the ARTIM timer expired");
                return false;
            }
        }
        if (pdu.Type != PduType.AssociateRequest)
        {
            if (pdu.Type == PduType.Abort)
            {
                connection.Transition(UlEvent.Evt16); // AA-2
                return false;
            }
            throw new DicomProtocolException($"{pdu.Type} PDU before A-ASSOCIATE-RQ", AbortReason.UnexpectedPdu);
        }
        var rq = PduParser.ParseAssociateRequest(pdu.Body.Span);
        _callingAE = rq.CallingAE;
        if ((rq.ProtocolVersion & 1) == 0)
        {
            connection.Transition(UlEvent.Evt6, acceptable: false); // AE-6, not acceptable: A-ASSOCIATE-RJ, Sta13
            await RejectAsync(rq, new AssociateReject(RejectResult.Permanent, RejectSource.ServiceProviderAcse, AssociateReject.ProtocolVersionNotSupported), stop).ConfigureAwait(false);
            return false;
        }
        connection.Transition(UlEvent.Evt6); // AE-6 → Sta3: the "user" (this class) decides
        var reject = Decide(rq);
        if (reject is not null)
        {
            connection.Transition(UlEvent.Evt8); // AE-8
            await RejectAsync(rq, reject, stop).ConfigureAwait(false);
            return false;
        }
        var answers = Negotiate(rq);
        var accepted = _abstractSyntax.Values.ToHashSet(StringComparer.Ordinal);
        var ac = new AssociateAccept(rq.CalledAE, rq.CallingAE, answers, new UserInformation
        {
            MaxPduLength = options.MaxPduLength,
            ImplementationClassUid = DicomImplementation.ClassUid,
            ImplementationVersionName = DicomImplementation.VersionName,
            // PS3.7 D.3.3.4: each proposed role item of an accepted SOP class is answered. We are the SCP of every
            // service here, so the requestor may be the SCU (if it asked to) and never the SCP.
            Roles = [.. rq.User.Roles.Where(r => accepted.Contains(r.SopClassUid)).Select(r => new RoleSelection(r.SopClassUid, r.ScuRole, false))],
            // PS3.7 D.3.3.3: one operation at a time, each way (answered only when proposed).
            AsyncOperations = rq.User.AsyncOperations is null ? null : ((ushort)1, (ushort)1),
        });
        connection.Transition(UlEvent.Evt7); // AE-7
        await connection.SendAsync(PduEncoder.AssociateAccept(ac), stop).ConfigureAwait(false);
        PeerMaxPdu = rq.User.MaxPduLength;
        NetworkLog.AssociationAccepted(logger, LogText.Quote(rq.CallingAE), LogText.Quote(rq.CalledAE), connection.Peer, _transferSyntax.Count);
        return true;
    }

    private uint PeerMaxPdu { get; set; }

    private byte[]? _responseBuffer;

    private AssociateReject? Decide(AssociateRequest rq)
    {
        if (rq.ApplicationContext != AssociateRequest.DicomApplicationContext)
            return new AssociateReject(RejectResult.Permanent, RejectSource.ServiceUser, AssociateReject.ApplicationContextNotSupported);
        if (options.CheckCalledAE && !string.Equals(rq.CalledAE, options.AeTitle, StringComparison.Ordinal))
            return new AssociateReject(RejectResult.Permanent, RejectSource.ServiceUser, AssociateReject.CalledAENotRecognized);
        if (options.AllowedCallingAEs is { } allowed && !allowed.Contains(rq.CallingAE))
            return new AssociateReject(RejectResult.Permanent, RejectSource.ServiceUser, AssociateReject.CallingAENotRecognized);
        if (overLimit())
            return new AssociateReject(RejectResult.Transient, RejectSource.ServiceProviderPresentation, AssociateReject.LocalLimitExceeded);
        return null;
    }

    private async Task RejectAsync(AssociateRequest rq, AssociateReject reject, CancellationToken stop)
    {
        await connection.SendAsync(PduEncoder.AssociateReject(reject), stop).ConfigureAwait(false);
        NetworkLog.AssociationRejected(logger, LogText.Quote(rq.CallingAE), LogText.Quote(rq.CalledAE), connection.Peer, reject.Describe());
        await AwaitCloseAsync(stop).ConfigureAwait(false);
    }

    /// <summary>Sta13: wait for the peer to close (AR-5), at most the ARTIM time (AA-2).</summary>
    private async Task AwaitCloseAsync(CancellationToken stop)
    {
        using var artim = CancellationTokenSource.CreateLinkedTokenSource(stop);
        artim.CancelAfter(options.ArtimTimeout);
        try
        {
            while (true)
            {
                var pdu = await connection.ReadAsync(artim.Token).ConfigureAwait(false);
                // Sta13: PDUs are answered by AA-6/AA-7 (ignored); an A-ABORT closes (AA-2).
                if (pdu.Type == PduType.Abort)
                {
                    connection.Transition(UlEvent.Evt16);
                    return;
                }
            }
        }
        catch (ConnectionClosedException)
        {
            connection.Transition(UlEvent.Evt17); // AR-5
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            connection.Transition(UlEvent.Evt18); // AA-2
        }
        catch (DicomProtocolException)
        {
            // Sta13 + Evt19 is AA-7: nothing more to say; close.
        }
    }

    private List<PresentationContextAnswer> Negotiate(AssociateRequest rq)
    {
        var answers = new List<PresentationContextAnswer>();
        foreach (var pc in rq.Contexts)
        {
            if (!options.AcceptSopClass(pc.AbstractSyntax))
            {
                answers.Add(new PresentationContextAnswer(pc.Id, PresentationContextResult.AbstractSyntaxNotSupported, DicomUids.ImplicitVRLittleEndian));
                continue;
            }
            // The SCU's order of preference; any syntax we can store (we keep the bytes as they come).
            var ts = pc.TransferSyntaxes.FirstOrDefault(t => t != DicomUids.ExplicitVRBigEndian && (t is DicomUids.ImplicitVRLittleEndian or DicomUids.ExplicitVRLittleEndian or DicomUids.DeflatedExplicitVRLittleEndian
                || DicomUid.Find(t) is { Type: "Transfer Syntax" }));
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

    private async Task TransferAsync(CancellationToken stop)
    {
        var receiver = new DimseReceiver(OpenSink);
        while (connection.State == UlState.Sta6)
        {
            ReceivedPdu pdu;
            using (var idle = CancellationTokenSource.CreateLinkedTokenSource(stop))
            {
                idle.CancelAfter(_incoming is null ? options.IdleTimeout : options.DimseTimeout);
                try
                {
                    pdu = await connection.ReadAsync(idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    connection.Transition(UlEvent.Evt15); // AA-1: local abort
                    await connection.TrySendAbortAsync(AbortSource.ServiceUser, AbortReason.NotSpecified).ConfigureAwait(false);
                    NetworkLog.AssociationAborted(logger, connection.Peer, stop.IsCancellationRequested ? "server stopping" : "idle timeout");
                    return;
                }
            }
            switch (pdu.Type)
            {
                case PduType.PData:
                    connection.Transition(UlEvent.Evt10); // DT-2
                    foreach (var message in await receiver.AcceptAsync(pdu.Body, _transferSyntax.ContainsKey, stop).ConfigureAwait(false))
                        await HandleAsync(message, stop).ConfigureAwait(false);
                    break;
                case PduType.ReleaseRequest:
                    PduParser.ParseRelease(pdu.Body.Span, "A-RELEASE-RQ");
                    connection.Transition(UlEvent.Evt12); // AR-2
                    connection.Transition(UlEvent.Evt14); // AR-4: A-RELEASE-RP, start ARTIM
                    await connection.SendAsync(PduEncoder.ReleaseResponse(), stop).ConfigureAwait(false);
                    await AwaitCloseAsync(stop).ConfigureAwait(false);
                    return;
                case PduType.Abort:
                    connection.Transition(UlEvent.Evt16); // AA-3
                    NetworkLog.AssociationAborted(logger, connection.Peer, "A-ABORT from the peer");
                    return;
                default:
                    throw new DicomProtocolException($"unexpected {pdu.Type} PDU during data transfer", AbortReason.UnexpectedPdu);
            }
        }
    }

    private ValueTask<Stream> OpenSink(DimseMessage message)
    {
        // A request we do not perform (C-FIND, N-ACTION …) still carries its data set: read and dropped, then the
        // request is answered with a status (HandleAsync), never with an abort (issue #16).
        if (message.Command.Field != CommandField.CStoreRequest)
            return ValueTask.FromResult(Stream.Null);
        _incoming = new IncomingObject(options.OutputDirectory, message.Command.AffectedSopClassUid, message.Command.AffectedSopInstanceUid,
            _transferSyntax[message.ContextId], _callingAE);
        return ValueTask.FromResult<Stream>(_incoming);
    }

    private async Task HandleAsync(DimseMessage message, CancellationToken stop)
    {
        var command = message.Command;
        DimseCommand response;
        switch (command.Field)
        {
            case CommandField.CEchoRequest:
                response = DimseCommand.EchoResponse(command.MessageId, DicomStatus.Success);
                break;
            case CommandField.CStoreRequest:
                response = DimseCommand.StoreResponse(command.MessageId, command.AffectedSopClassUid, command.AffectedSopInstanceUid,
                    await StoreAsync(message, stop).ConfigureAwait(false));
                break;
            case CommandField.CCancelRequest:
                return; // C-CANCEL has no response (PS3.7 §9.3.2.3), and we run no operation it could cancel
            case var field when ((ushort)field & 0x8000) != 0:
                NetworkLog.UnexpectedResponse(logger, connection.Peer, LogText.Quote(command.ToString()));
                return; // a response to nothing we asked: no answer to an answer
            default:
                // Unrecognized operation (PS3.7 Annex C: 0211), with the SOP class echoed where the request named one.
                var answer = new DicomDataset()
                    .Set(DicomTags.CommandField, (ushort)((ushort)command.Field | 0x8000))
                    .Set(DicomTags.MessageIDBeingRespondedTo, command.MessageId)
                    .Set(DicomTags.CommandDataSetType, DimseCommand.NoDataSet)
                    .Set(DicomTags.Status, (ushort)0x0211);
                if (command.AffectedSopClassUid is { Length: > 0 } sopClass && DicomUid.IsValid(sopClass))
                    answer.Set(DicomTags.AffectedSOPClassUID, DicomVR.UI, sopClass);
                response = new DimseCommand(answer);
                break;
        }
        connection.Transition(UlEvent.Evt9); // DT-1
        _responseBuffer ??= new byte[PDataWriteStream.BufferSize(PeerMaxPdu)];
        var stream = new PDataWriteStream(connection, message.ContextId, command: true, PeerMaxPdu, _responseBuffer, stop);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(response.Encode(), stop).ConfigureAwait(false);
            await stream.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task<DicomStatus> StoreAsync(DimseMessage message, CancellationToken stop)
    {
        var incoming = _incoming!;
        _incoming = null;
        if (message.Command.AffectedSopClassUid != _abstractSyntax[message.ContextId])
        {
            incoming.Discard();
            return new DicomStatus(0xA900, "SOP class differs from the presentation context's abstract syntax");
        }
        var stored = await incoming.CompleteAsync().ConfigureAwait(false);
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
            status = options.OnStored is { } onStored ? await onStored(stored, stop).ConfigureAwait(false) : DicomStatus.Success;
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
