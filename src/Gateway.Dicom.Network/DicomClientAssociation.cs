using System.Buffers;
using System.IO.Compression;

namespace Gateway.Dicom.Network;

/// <summary>
/// An established SCU association (Sta6). Operations run one at a time (asynchronous operations window 1): each
/// request is sent, then its response awaited. An A-ABORT or a dropped connection surfaces as a
/// <see cref="DicomNetworkException"/>; a refused object is a <see cref="DicomStatus"/> value.
/// </summary>
public sealed partial class DicomClientAssociation : IAsyncDisposable
{
    private readonly DicomConnection _connection;
    private readonly DicomClientOptions _options;
    private readonly SemaphoreSlim _operation = new(1, 1);
    private readonly byte[] _pduBuffer;
    private readonly HashSet<byte> _accepted;
    private readonly DimseReceiver _responses;
    private ushort _messageId;
    // A request has been (partly) sent and its response not yet read: the association can only be aborted now.
    private volatile bool _inMessage;

    internal DicomClientAssociation(DicomConnection connection, DicomClientOptions options, AssociateRequest request, AssociateAccept accept)
    {
        _connection = connection;
        _options = options;
        Request = request;
        Accept = accept;
        _pduBuffer = new byte[PDataWriteStream.BufferSize(accept.User.MaxPduLength)];
        _accepted = [.. accept.Contexts.Where(c => c.Result == PresentationContextResult.Acceptance).Select(c => c.Id)];
        _responses = new DimseReceiver(_ => throw new DicomProtocolException("a response announced a data set", AbortReason.UnexpectedPduParameter));
    }

    /// <summary>The TCP socket (tests read its options back).</summary>
    internal System.Net.Sockets.Socket? Socket => _connection.Socket;

    public AssociateRequest Request { get; }
    public AssociateAccept Accept { get; }
    public UlState State => _connection.State;

    /// <summary>The accepted contexts: (id, abstract syntax, transfer syntax).</summary>
    public IEnumerable<(byte Id, string AbstractSyntax, string TransferSyntax)> AcceptedContexts =>
        Accept.Contexts.Where(c => c.Result == PresentationContextResult.Acceptance)
            .Select(c => (c.Id, Request.Contexts.First(p => p.Id == c.Id).AbstractSyntax, c.TransferSyntax));

    /// <summary>Why a SOP class has no accepted context: the peer's result for it, or "not proposed".</summary>
    public string WhyNotAccepted(string sopClass)
    {
        var proposed = Request.Contexts.Where(p => p.AbstractSyntax == sopClass).Select(p => p.Id).ToHashSet();
        if (proposed.Count == 0)
            return "no presentation context was proposed for it";
        var results = Accept.Contexts.Where(c => proposed.Contains(c.Id)).Select(c => c.Result).Distinct().ToList();
        return results.Count == 0 ? "the peer did not answer its presentation context"
            : "the peer rejected its presentation context: " + string.Join(", ", results.Select(Describe));
    }

    private static string Describe(PresentationContextResult r) => r switch
    {
        PresentationContextResult.AbstractSyntaxNotSupported => "SOP class not supported",
        PresentationContextResult.TransferSyntaxesNotSupported => "transfer syntaxes not supported",
        PresentationContextResult.UserRejection => "rejected by the user",
        _ => "no reason given",
    };

    public async Task<DicomStatus> EchoAsync(CancellationToken ct = default)
    {
        var context = AcceptedContexts.FirstOrDefault(c => c.AbstractSyntax == DicomUids.Verification);
        if (context.Id == 0)
            throw new DicomNetworkException($"{_connection.Peer} did not accept the Verification SOP class");
        await _operation.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var id = ++_messageId;
            await SendCommandAsync(context.Id, DimseCommand.EchoRequest(id), flush: true, ct).ConfigureAwait(false);
            var response = await ReceiveResponseAsync(id, CommandField.CEchoResponse, ct).ConfigureAwait(false);
            return response.Status;
        }
        finally
        {
            _operation.Release();
        }
    }

    /// <summary>
    /// Sends a Part 10 file. Its data set bytes go from disk to the socket as stored when the peer accepted the
    /// stored transfer syntax; otherwise it is converted between uncompressed syntaxes on the way, or not sent (with
    /// the reason) when it is compressed and the peer did not accept that compression.
    /// </summary>
    /// <summary>
    /// Sends the Part 10 file at <paramref name="path"/>: its header is read, then its bytes streamed, from one open file.
    /// <paramref name="progress"/> is called after each chunk sent (a sign of life for the service watchdog).
    /// </summary>
    public async Task<DicomStoreResult> StoreAsync(string path, Action? progress = null, CancellationToken ct = default)
    {
        using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return await StoreAsync(DicomFile.ReadHeader(source, Path.GetFullPath(path)), source, progress, ct).ConfigureAwait(false);
    }

    public Task<DicomStoreResult> StoreAsync(DicomFile file, CancellationToken ct = default) => StoreAsync(file, null, null, ct);

    private async Task<DicomStoreResult> StoreAsync(DicomFile file, FileStream? open, Action? progress, CancellationToken ct)
    {
        // The command must name what the data set says it is; the file meta can disagree (pydicom's rtplan.dcm does).
        var sopClass = SopClassOf(file);
        var sopInstance = file.Dataset.TryGetString(DicomTags.SOPInstanceUID) ?? file.Meta.TryGetString(DicomTags.MediaStorageSOPInstanceUID) ?? "";
        if (sopClass.Length == 0 || sopInstance.Length == 0)
            return new DicomStoreResult(sopInstance, null, "the object has no SOP Class UID or SOP Instance UID");
        var candidates = AcceptedContexts.Where(c => c.AbstractSyntax == sopClass).ToList();
        if (candidates.Count == 0)
            return new DicomStoreResult(sopInstance, null, $"SOP class {DicomUid.NameOf(sopClass)}: {WhyNotAccepted(sopClass)}");

        var stored = file.TransferSyntax;
        var exact = candidates.FirstOrDefault(c => c.TransferSyntax == stored.Uid);
        string? convertTo = null;
        var chosen = exact;
        if (exact.Id == 0)
        {
            if (stored.IsEncapsulated)
                return new DicomStoreResult(sopInstance, null, $"stored as {stored.Name}, which the peer did not accept, and we cannot decompress it");
            chosen = candidates.FirstOrDefault(c => DicomTransferSyntax.FromUid(c.TransferSyntax).CanWrite);
            if (chosen.Id == 0)
                return new DicomStoreResult(sopInstance, null, $"no accepted transfer syntax we can convert {stored.Name} to");
            convertTo = DicomTransferSyntax.FromUid(chosen.TransferSyntax).Name;
        }

        await _operation.WaitAsync(ct).ConfigureAwait(false);
        var aborting = false;
        try
        {
            var id = ++_messageId;
            _inMessage = true;
            // The command waits in the write buffer and leaves with the first data: one system call for a small object.
            await SendCommandAsync(chosen.Id, DimseCommand.StoreRequest(id, sopClass, sopInstance), flush: false, ct).ConfigureAwait(false);
            var data = new PDataWriteStream(_connection, chosen.Id, command: false, Accept.User.MaxPduLength, _pduBuffer, ct);
            await using (data.ConfigureAwait(false))
            {
                if (convertTo is not null && !file.IsComplete)
                    file = DicomFile.Open(file.Path!);
                await WriteDatasetAsync(file, open, DicomTransferSyntax.FromUid(chosen.TransferSyntax), convertTo is not null, data, progress, ct).ConfigureAwait(false);
                await data.CompleteAsync(flush: true).ConfigureAwait(false);
            }
            var response = await ReceiveResponseAsync(id, CommandField.CStoreResponse, ct).ConfigureAwait(false);
            _inMessage = false;
            return new DicomStoreResult(sopInstance, response.Status, null, convertTo);
        }
        catch (Exception) when (_inMessage && _connection.State is UlState.Sta6 or UlState.Sta7)
        {
            // Stopped in the middle of a message (cancelled, a file that could not be read further): the peer holds
            // half a data set, so the association cannot be released — PS3.8 leaves A-ABORT (AA-1). Done below, after
            // the operation lock is given back.
            aborting = true;
            throw;
        }
        finally
        {
            _operation.Release();
            if (aborting)
                await AbortAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The SOP class an object is sent as: its data set's (the command must name what the data set says it is — the
    /// file meta can disagree, as in pydicom's rtplan.dcm), else its file meta's when the data set has none or one that
    /// is not a UID.
    /// </summary>
    public static string SopClassOf(DicomFile file)
    {
        var own = file.Dataset.TryGetString(DicomTags.SOPClassUID);
        if (own is not null && DicomUid.IsValid(own))
            return own;
        return file.Meta.TryGetString(DicomTags.MediaStorageSOPClassUID) is { } meta && DicomUid.IsValid(meta) ? meta : own ?? "";
    }

    private static async Task WriteDatasetAsync(DicomFile file, FileStream? open, DicomTransferSyntax target, bool convert, Stream data, Action? progress, CancellationToken ct)
    {
        if (!convert && file.Path is { } path && file.DatasetOffset >= 0)
        {
            // Synchronous reads: on Linux a page-cache read is faster than the thread-pool hop of "async" file I/O.
            // And a synchronous copy loop: read a chunk, write PDUs to the blocking socket (see DicomConnection.Send).
            using var owned = open is null ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan) : null;
            var source = open ?? owned!;
            source.Position = file.DatasetOffset;
            var chunk = ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                int n;
                while ((n = source.Read(chunk, 0, chunk.Length)) > 0)
                {
                    ct.ThrowIfCancellationRequested();
                    data.Write(chunk.AsSpan(0, n));
                    progress?.Invoke();
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }
            return;
        }
        // Converting (or an object built in memory): encode the data set in the accepted syntax.
        if (target.IsDeflated)
        {
            var deflate = new DeflateStream(data, CompressionLevel.Fastest, leaveOpen: true);
            await using (deflate.ConfigureAwait(false))
            {
                using var buffered = new BufferedStream(deflate, 1 << 16);
                new DicomWriter(buffered, true).WriteDataset(file.Dataset);
            }
            return;
        }
        using var buffer = new BufferedStream(data, 1 << 16);
        new DicomWriter(buffer, target.IsExplicitVR).WriteDataset(file.Dataset);
    }

    private async Task SendCommandAsync(byte contextId, DimseCommand command, bool flush, CancellationToken ct)
    {
        _connection.Transition(UlEvent.Evt9); // DT-1
        var stream = new PDataWriteStream(_connection, contextId, command: true, Accept.User.MaxPduLength, _pduBuffer, ct);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(command.Encode(), ct).ConfigureAwait(false);
            await stream.CompleteAsync(flush).ConfigureAwait(false);
        }
    }

    private async Task<DimseCommand> ReceiveResponseAsync(ushort messageId, CommandField expected, CancellationToken ct) =>
        (await ReceiveAsync(_responses, messageId, expected, ct).ConfigureAwait(false)).Command;

    /// <summary>The next response to <paramref name="messageId"/>, through <paramref name="receiver"/> (whose sink takes a data set).</summary>
    private async Task<DimseMessage> ReceiveAsync(DimseReceiver receiver, ushort messageId, CommandField expected, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.DimseTimeout);
        var accepted = _accepted;
        try
        {
            while (true)
            {
                var pdu = await _connection.ReadAsync(timeout.Token).ConfigureAwait(false);
                switch (pdu.Type)
                {
                    case PduType.PData:
                        _connection.Transition(UlEvent.Evt10); // DT-2
                        foreach (var message in await receiver.AcceptAsync(pdu.Body, accepted.Contains, timeout.Token).ConfigureAwait(false))
                        {
                            var command = message.Command;
                            if (command.Field != expected || command.RespondedTo != messageId)
                                throw new DicomProtocolException($"expected {expected} to message {messageId}, got {command}", AbortReason.UnexpectedPduParameter);
                            return message;
                        }
                        break;
                    case PduType.Abort:
                        _connection.Transition(UlEvent.Evt16); // AA-3
                        var abort = PduParser.ParseAbort(pdu.Body.Span);
                        await _connection.DisposeAsync().ConfigureAwait(false);
                        throw new DicomAbortedException($"{_connection.Peer} aborted the association (source {abort.Source}, reason {abort.Reason})", abort);
                    default:
                        throw new DicomProtocolException($"unexpected {pdu.Type} PDU while waiting for {expected}", AbortReason.UnexpectedPdu);
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            await AbortAsync().ConfigureAwait(false);
            throw new DicomNetworkException($"{_connection.Peer} did not answer within {_options.DimseTimeout.TotalSeconds:0} s; association aborted");
        }
        catch (DicomProtocolException e)
        {
            _connection.Transition(UlEvent.Evt19); // AA-8
            await _connection.TrySendAbortAsync(AbortSource.ServiceProvider, e.Reason).ConfigureAwait(false);
            await _connection.DisposeAsync().ConfigureAwait(false);
            throw new DicomAbortedException($"{_connection.Peer} broke the protocol: {e.Message}; association aborted");
        }
        catch (ConnectionClosedException)
        {
            if (_connection.State != UlState.Sta1)
                _connection.Transition(UlEvent.Evt17); // AA-4
            throw;
        }
    }

    /// <summary>Releases the association (AR-1, then AR-3 on the A-RELEASE-RP), handling a release collision (AR-8).</summary>
    public async Task ReleaseAsync(CancellationToken ct = default)
    {
        if (_inMessage)
        {
            // Never A-RELEASE-RQ after half a message: abort instead (PS3.8 §7.1, §9.3.2 AA-1).
            await AbortAsync().ConfigureAwait(false);
            return;
        }
        if (_connection.State != UlState.Sta6)
            return;
        await _operation.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _connection.Transition(UlEvent.Evt11); // AR-1
            await _connection.SendAsync(PduEncoder.ReleaseRequest(), ct).ConfigureAwait(false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.ArtimTimeout);
            while (_connection.State != UlState.Sta1)
            {
                var pdu = await _connection.ReadAsync(timeout.Token).ConfigureAwait(false);
                switch (pdu.Type)
                {
                    case PduType.ReleaseResponse:
                        _connection.Transition(UlEvent.Evt13); // AR-3 (Sta7) or AR-3 (Sta11)
                        break;
                    case PduType.ReleaseRequest:
                        _connection.Transition(UlEvent.Evt12, requestor: true); // AR-8 → Sta9
                        _connection.Transition(UlEvent.Evt14); // AR-9: send A-RELEASE-RP → Sta11
                        await _connection.SendAsync(PduEncoder.ReleaseResponse(), ct).ConfigureAwait(false);
                        break;
                    case PduType.PData:
                        _connection.Transition(UlEvent.Evt10); // AR-6: data after our release request is ignored
                        break;
                    case PduType.Abort:
                        _connection.Transition(UlEvent.Evt16); // AA-3
                        return;
                    default:
                        _connection.Transition(UlEvent.Evt19); // AA-8
                        await _connection.TrySendAbortAsync(AbortSource.ServiceProvider, AbortReason.UnexpectedPdu).ConfigureAwait(false);
                        return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException && !ct.IsCancellationRequested || e is DicomNetworkException or DicomProtocolException)
        {
            // The peer did not complete the release: the objects already confirmed stay confirmed; close.
        }
        finally
        {
            _operation.Release();
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Aborts the association (AA-1) and closes the connection.</summary>
    public async Task AbortAsync()
    {
        if (_connection.State is UlState.Sta6 or UlState.Sta7 or UlState.Sta8)
        {
            _connection.Transition(UlEvent.Evt15); // AA-1
            await _connection.TrySendAbortAsync(AbortSource.ServiceUser, AbortReason.NotSpecified).ConfigureAwait(false);
        }
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection.State == UlState.Sta6)
            await ReleaseAsync().ConfigureAwait(false);
        else
            await _connection.DisposeAsync().ConfigureAwait(false);
        _operation.Dispose();
    }
}
