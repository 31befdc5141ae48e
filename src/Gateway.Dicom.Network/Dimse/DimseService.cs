using System.Threading.Channels;
using Gateway.Shared;
using Microsoft.Extensions.Logging;

namespace Gateway.Dicom.Network;

/// <summary>
/// The DIMSE service layer of one association (PS3.7), either role, on top of the upper layer (<see cref="Association"/>):
/// messages are cut into and reassembled from P-DATA; each request we send gets a message id and an
/// <see cref="DimseOperation"/> that its responses are routed to (by Message ID Being Responded To); each request the
/// peer sends is performed by the handler registered for its command and SOP class (<see cref="DimseHandlers"/>) and
/// answered — with a status when nothing performs it, never with an abort. Release and abort are the upper layer's,
/// answered as the state table allows (a release collision included).
/// </summary>
internal sealed class DimseService : IUpperLayerUser, IDisposable
{
    /// <summary>A data set in a request or response other than C-STORE is a few kilobytes; this bounds a hostile one.</summary>
    public const int MaxDataSetBytes = 16 << 20;

    private readonly DicomAssociationOptions _options;
    private readonly DimseHandlers _handlers;
    private readonly ILogger _logger;
    private readonly DimseReceiver _receiver;
    private readonly Dictionary<ushort, DimseOperation> _operations = [];
    private readonly TaskCompletionSource<AssociateAccept> _established = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _gone = new();
    private readonly ITimer _watch;
    private Dictionary<byte, (string AbstractSyntax, string TransferSyntax)> _contexts = [];
    private Association _ul = null!;
    private byte[]? _pduBuffer;
    private Stream? _requestSink;
    private int _messageId;
    private volatile string? _failure;
    // Whole messages go out one at a time: a response on the reader thread and a request of ours from another thread
    // (an N-EVENT-REPORT on an association the peer opened) would otherwise interleave their PDUs and share the buffers.
    private readonly Lock _sending = new();
    private DimseAssociation? _handle;

    /// <summary>Held while one message (command and data set) is written (see <see cref="Send"/>).</summary>
    internal Lock SendLock => _sending;

    private DimseService(DicomAssociationOptions options, DimseHandlers handlers, ILogger logger)
    {
        _options = options;
        _handlers = handlers;
        _logger = logger;
        _receiver = new DimseReceiver(OpenSink);
        _watch = options.Time.CreateTimer(_ => Expired(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public Association Association => _ul;
    public string Peer => _ul.Peer;
    public AssociateRequest Request { get; private set; } = null!;
    public AssociateAccept Accept { get; private set; } = null!;
    /// <summary>The largest P-DATA-TF the peer accepts (its A-ASSOCIATE's maximum length).</summary>
    public uint PeerMaxPdu { get; private set; }

    /// <summary>Whether the association still carries messages (Sta6).</summary>
    public bool IsEstablished => _ul.State == UlState.Sta6;

    /// <summary>Acceptor policy: the A-ASSOCIATE indication is answered by this (accept with an AC, or reject).</summary>
    public Func<AssociateRequest, (AssociateAccept? Accept, AssociateReject? Reject)>? Decide { get; init; }

    /// <summary>Acceptor: the sink a C-STORE data set is written to as it arrives (a file), or null to use the handlers' path.</summary>
    public Func<DimseMessage, Stream?>? StoreSink { get; init; }

    /// <summary>Called when a C-STORE request is complete (its data set in the sink <see cref="StoreSink"/> opened).</summary>
    public Func<DimseMessage, Stream, string, DicomStatus>? OnStore { get; init; }

    /// <summary>Called after the association is accepted, released, aborted (for the SCP's log).</summary>
    public Action<string>? OnAborted { get; init; }

    // ---- opening --------------------------------------------------------------------------------------------------

    /// <summary>Opens an association as requestor: connects (AE-1), proposes, and returns once it is accepted.</summary>
    public static async Task<DimseService> OpenAsync(DicomAssociationOptions options, string peer, AssociateRequest request,
        Func<CancellationToken, Task<DicomConnection>> connect, DimseHandlers handlers, ILogger logger, CancellationToken ct)
    {
        var service = new DimseService(options, handlers, logger) { Request = request };
        service._ul = Association.Requestor(service, peer, options.Time, options.ArtimTimeout, connect, request);
        service._ul.Faulted = service.LogFault;
        var timedOut = false;
        var established = service._established.Task;
        try
        {
            await using (ct.Register(() => service.AbortLocal("cancelled")).ConfigureAwait(false))
            {
                service._ul.Start(); // AE-1: the connect has its own time limit (ConnectTimeout)
                await Task.WhenAny(service._ul.TransportOpened, established).ConfigureAwait(false);
                using var timeout = new CancellationTokenSource(options.AssociationTimeout);
                await using (timeout.Token.Register(() =>
                {
                    timedOut = true;
                    var reason = $"{peer} did not answer the association request within {options.AssociationTimeout.TotalSeconds:0} s";
                    service.AbortLocal(reason, new DicomNetworkException(reason));
                }).ConfigureAwait(false))
                {
                    await established.ConfigureAwait(false);
                }
            }
        }
        catch (DicomNetworkException) when (ct.IsCancellationRequested && !timedOut)
        {
            service._ul.Dispose();
            throw new OperationCanceledException(ct);
        }
        catch
        {
            service._ul.Dispose();
            if (service._ul.ConnectFailure is { } failure)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            throw;
        }
        return service;
    }

    /// <summary>Serves an association a peer opened; completes when it is over.</summary>
    public static Task ServeAsync(DicomAssociationOptions options, DicomConnection transport, DimseHandlers handlers, ILogger logger,
        Func<AssociateRequest, (AssociateAccept?, AssociateReject?)> decide, Func<DimseMessage, Stream?>? storeSink,
        Func<DimseMessage, Stream, string, DicomStatus>? onStore, Action<string>? onAborted, CancellationToken stop, out DimseService service)
    {
        service = new DimseService(options, handlers, logger) { Decide = decide, StoreSink = storeSink, OnStore = onStore, OnAborted = onAborted };
        service._ul = Association.Acceptor(service, transport, options.Time, options.ArtimTimeout);
        service._ul.Faulted = service.LogFault;
        var s = service;
        var registration = stop.Register(() => ThreadPool.QueueUserWorkItem(_ => s.StopServing()));
        service._ul.Start();
        if (stop.IsCancellationRequested)
            service.StopServing();
        return service._ul.Closed.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
    }

    private void LogFault(Exception e) => NetworkLog.InternalError(_logger, Peer, e);

    // ---- upper layer indications -----------------------------------------------------------------------------------

    public void AssociateIndication(AssociateRequest request)
    {
        Request = request;
        var (accept, reject) = Decide!(request);
        if (reject is not null)
        {
            _ul.RejectAssociation(reject);
            return;
        }
        SetAccepted(accept!, request.User.MaxPduLength);
        _ul.AcceptAssociation(accept!);
        Rearm();
    }

    public void AssociateConfirmation(AssociateAccept? accept, AssociateReject? reject)
    {
        if (reject is not null)
        {
            _established.TrySetException(new DicomAssociationRejectedException(reject));
            return;
        }
        SetAccepted(accept!, accept!.User.MaxPduLength);
        _established.TrySetResult(accept);
    }

    private void SetAccepted(AssociateAccept accept, uint peerMaxPdu)
    {
        Accept = accept;
        PeerMaxPdu = peerMaxPdu;
        var contexts = new Dictionary<byte, (string, string)>();
        foreach (var answer in accept.Contexts.Where(c => c.Result == PresentationContextResult.Acceptance))
        {
            if (Request.Contexts.FirstOrDefault(p => p.Id == answer.Id) is { } proposed)
                contexts[answer.Id] = (proposed.AbstractSyntax, answer.TransferSyntax);
        }
        _contexts = contexts;
    }

    /// <summary>The accepted presentation contexts: id → (abstract syntax, transfer syntax).</summary>
    public IReadOnlyDictionary<byte, (string AbstractSyntax, string TransferSyntax)> Contexts => _contexts;

    public DicomProtocolException? PDataIndication(ReadOnlyMemory<byte> body, List<Pdv> pdvs)
    {
        try
        {
            _receiver.Accept(body, pdvs, _contexts.ContainsKey, message =>
            {
                if (message.Command.IsResponse)
                    Route(message);
                else
                    Perform(message);
            });
        }
        catch (DicomProtocolException e)
        {
            // Fragments out of order, a context never accepted, a hostile length, a response to nothing we wait
            // for: the P-DATA-TF is invalid (Evt19), and the provider aborts with the reason (AA-8).
            return e;
        }
        Rearm();
        return null;
    }

    public void ReleaseIndication(bool collision)
    {
        // Sta8 (the peer asks) and Sta9 (collision, we requested the association): answer now. Sta10 (collision, the
        // peer requested it): the table wants the peer's A-RELEASE-RP first (AR-10 → Sta12), then our response.
        if (!_ul.Allows(UlEvent.Evt14))
            return;
        try
        {
            _ul.ReleaseResponse();
        }
        catch (Exception e) when (e is InvalidOperationException or DicomNetworkException)
        {
            // aborted or closed in between: nothing left to answer
        }
    }

    public void ReleaseConfirmation()
    {
        ReleaseIndication(collision: true); // Sta12 (the acceptor's side of a collision): our A-RELEASE-RP now
        _released.TrySetResult();
    }

    public void AbortIndication(AbortRequest? abort, string reason, bool transportClosed = false)
    {
        DicomNetworkException error = transportClosed ? new ConnectionClosedException(reason)
            : abort is not null ? new DicomAbortedException(reason, abort) : new DicomAbortedException(reason);
        Fail(error, reason);
    }

    public void Closed()
    {
        Fail(new ConnectionClosedException($"the association with {Peer} is closed"), null);
        _released.TrySetResult();
        Dispose();
    }

    /// <summary>Frees the timer and a half-received request's data (the association is over).</summary>
    public void Dispose()
    {
        _watch.Dispose();
        // Only what this layer made: a C-STORE sink belongs to whoever opened it (StoreSink), who discards it.
        if (_requestSink is BoundedMemoryStream own)
            own.Dispose();
        _requestSink = null;
    }

    /// <summary>Every operation still waiting fails with <paramref name="error"/>; the association is gone.</summary>
    private void Fail(DicomNetworkException error, string? reason)
    {
        if (reason is not null && _failure is null)
        {
            _failure = reason;
            OnAborted?.Invoke(reason);
        }
        _established.TrySetException(error);
        DimseOperation[] waiting;
        lock (_operations)
        {
            waiting = [.. _operations.Values];
            _operations.Clear();
        }
        foreach (var operation in waiting)
        {
            if (operation.MarkDone())
                Interlocked.Decrement(ref _sent);
            operation.Fail(error);
        }
        if (!_gone.IsCancellationRequested)
        {
            try
            {
                _gone.Cancel();
            }
            catch (AggregateException)
            {
                // a registration threw; the association is gone all the same
            }
        }
    }

    /// <summary>
    /// The server stops: A-ABORT (AA-1), unless a send to a peer that stopped reading holds the association for more
    /// than a moment — then the transport is closed under it (the send fails, Evt17 ends the association).
    /// </summary>
    private void StopServing()
    {
        var abort = Task.Run(() => AbortLocal("server stopping"));
        if (!abort.Wait(TimeSpan.FromSeconds(2)))
            _ul.CloseTransportNow();
    }

    /// <summary>The local user aborts (AA-1) — a timeout, a protocol error above the upper layer, the server stopping.</summary>
    public void AbortLocal(string reason, DicomNetworkException? error = null)
    {
        if (_failure is null)
        {
            _failure = reason;
            OnAborted?.Invoke(reason);
        }
        _ul.Abort();
        Fail(error ?? new DicomAbortedException(reason), null);
    }

    // ---- timers ---------------------------------------------------------------------------------------------------

    private readonly object _watchLock = new();
    private DateTimeOffset _watchDue = DateTimeOffset.MaxValue;
    private int _sent;          // requests of ours wholly sent, whose final response has not come
    private bool _performing;   // a request of the peer's is being performed (its handler's time is not the peer's)

    /// <summary>
    /// One watch timer. The DIMSE timeout runs while a request of ours has been wholly sent and its response is awaited
    /// (never while we are still sending it: a large object on a slow link takes what it takes, each blocking send
    /// being bounded by itself) and while the rest of a message of the peer's is awaited; the idle timeout runs for an
    /// acceptor with nothing to do; nothing runs while we perform a request (the handler's time is ours), nor for a
    /// requestor with nothing outstanding (its user releases when done).
    /// </summary>
    private void Rearm()
    {
        lock (_watchLock)
        {
            var due = _performing ? Timeout.InfiniteTimeSpan
                : Volatile.Read(ref _sent) > 0 || _receiver.PendingSink is not null ? _options.DimseTimeout
                : _ul.IsRequestor ? Timeout.InfiniteTimeSpan : _options.IdleTimeout;
            _watchDue = due == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : _options.Time.GetUtcNow() + due;
            try
            {
                _watch.Change(due, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>A request of ours is wholly sent: its response is awaited from now on.</summary>
    public void Sent(DimseOperation operation)
    {
        if (operation.MarkSent())
            Interlocked.Increment(ref _sent);
        Rearm();
    }

    private void Expired()
    {
        try
        {
            bool awaiting;
            lock (_watchLock)
            {
                // Re-armed (or stopped) after this callback was on its way, or a timer a little ahead of the clock:
                // wait for the rest (none when stopped).
                if (_watchDue == DateTimeOffset.MaxValue)
                    return;
                var left = _watchDue - _options.Time.GetUtcNow();
                if (left > TimeSpan.Zero)
                {
                    _watch.Change(left, Timeout.InfiniteTimeSpan);
                    return;
                }
                awaiting = Volatile.Read(ref _sent) > 0 || _receiver.PendingSink is not null;
            }
            if (_ul.State != UlState.Sta6)
                return;
            var reason = awaiting ? $"{Peer} did not answer within {_options.DimseTimeout.TotalSeconds:0} s; association aborted" : "idle timeout";
            AbortLocal(reason, new DicomNetworkException(reason));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogFault(e);
        }
    }

    // ---- sending --------------------------------------------------------------------------------------------------

    public ushort NextMessageId()
    {
        var id = (ushort)Interlocked.Increment(ref _messageId);
        return id == 0 ? (ushort)Interlocked.Increment(ref _messageId) : id;
    }

    private byte[] PduBuffer => _pduBuffer ??= new byte[PDataWriteStream.BufferSize(PeerMaxPdu)];

    /// <summary>Command sets are a few hundred bytes: their PDUs are laid out in a small buffer of their own.</summary>
    private byte[]? _commandBuffer;

    /// <summary>
    /// A stream that cuts what is written into P-DATA-TF PDUs of one message part on a context. Data sets use the
    /// 256 KiB batch (allocated on the first data set sent), command sets a 4 KiB buffer: an association that only
    /// answers (an SCP's responses, a hostile peer's aborts) never holds the batch.
    /// </summary>
    public PDataWriteStream Writer(byte contextId, bool command, CancellationToken ct) =>
        new(_ul, contextId, command, PeerMaxPdu, command ? _commandBuffer ??= new byte[4096] : PduBuffer, ct);

    /// <summary>Sends a command (and the data set <paramref name="writeDataSet"/> writes, if any), all before returning.</summary>
    public void Send(byte contextId, DimseCommand command, Action<Stream>? writeDataSet, bool flush = true, CancellationToken ct = default)
    {
        lock (_sending)
        {
            using (var stream = Writer(contextId, command: true, ct))
            {
                stream.Write(command.Encode());
                stream.Complete(flush: writeDataSet is null && flush);
            }
            if (writeDataSet is null)
                return;
            using var data = Writer(contextId, command: false, ct);
            writeDataSet(data);
            data.Complete(flush);
        }
    }

    /// <summary>Writes a data set in a transfer syntax we can write (uncompressed; deflated where negotiated).</summary>
    public static void WriteDataSet(Stream destination, DicomDataset dataset, DicomTransferSyntax syntax)
    {
        if (syntax.IsDeflated)
        {
            using var deflate = new System.IO.Compression.DeflateStream(destination, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true);
            using var buffered = new BufferedStream(deflate, 1 << 16);
            new DicomWriter(buffered, true).WriteDataset(dataset);
            return;
        }
        using var buffer = new BufferedStream(destination, 1 << 16);
        new DicomWriter(buffer, syntax.IsExplicitVR).WriteDataset(dataset);
    }

    /// <summary>Registers an operation for the request with <paramref name="messageId"/> before it is sent.</summary>
    public DimseOperation Begin(ushort messageId, CommandField request, bool multipleResponses)
    {
        var operation = new DimseOperation(messageId, request, multipleResponses);
        lock (_operations)
        {
            if (_failure is { } failure && !IsEstablished)
                throw new DicomAbortedException(failure);
            _operations.Add(messageId, operation);
        }
        Rearm();
        return operation;
    }

    public void End(DimseOperation operation)
    {
        lock (_operations)
            _operations.Remove(operation.MessageId);
        if (operation.MarkDone())
            Interlocked.Decrement(ref _sent);
        Rearm();
    }

    // ---- receiving ------------------------------------------------------------------------------------------------

    private Stream OpenSink(DimseMessage message)
    {
        var command = message.Command;
        if (command.IsResponse)
        {
            DimseOperation? operation;
            lock (_operations)
                operation = _operations.GetValueOrDefault(command.RespondedTo);
            return operation?.OpenSink() ?? Stream.Null;
        }
        if (command.Field == CommandField.CStoreRequest && StoreSink is { } open)
            return _requestSink = open(message) ?? Stream.Null;
        // Only a request something here performs has its data set kept (bounded); the others are read and dropped.
        if (_handlers.Find(command.Field, command.SopClassUid, out _) is null)
            return _requestSink = Stream.Null;
        return _requestSink = new BoundedMemoryStream(MaxDataSetBytes, $"the data set of a {command.Field}");
    }

    private void Route(DimseMessage message)
    {
        DimseOperation? operation;
        lock (_operations)
            operation = _operations.GetValueOrDefault(message.Command.RespondedTo);
        if (operation is null)
        {
            DimseOperation? waiting;
            lock (_operations)
                waiting = _operations.Values.FirstOrDefault();
            if (waiting is not null)
            {
                throw new DicomProtocolException(
                    $"expected {(CommandField)((ushort)waiting.RequestField | 0x8000)} to message {waiting.MessageId}, got {message.Command}", AbortReason.UnexpectedPduParameter);
            }
            NetworkLog.UnexpectedResponse(_logger, Peer, LogText.Quote(message.Command.ToString()));
            return; // a response while we wait for nothing: no answer to an answer
        }
        DicomDataset? data = null;
        if (message.Command.HasDataSet)
        {
            try
            {
                data = operation.ReadDataSet(SyntaxOf(message.ContextId));
            }
            catch (DicomFormatException e)
            {
                throw new DicomProtocolException($"{Peer} sent a {message.Command.Field} data set that cannot be read: {e.Message}", AbortReason.InvalidPduParameterValue);
            }
        }
        var response = new DimseResponse(message.Command, data);
        if (response.Status.Category != DicomStatusCategory.Pending || !operation.MultipleResponses)
            End(operation);
        operation.Deliver(response);
    }

    private DicomTransferSyntax SyntaxOf(byte contextId) => DicomTransferSyntax.FromUid(_contexts[contextId].TransferSyntax);

    private void Perform(DimseMessage message)
    {
        lock (_watchLock)
            _performing = true;
        Rearm();
        try
        {
            PerformRequest(message);
        }
        finally
        {
            lock (_watchLock)
                _performing = false;
            Rearm();
        }
    }

    private void PerformRequest(DimseMessage message)
    {
        var command = message.Command;
        var sink = _requestSink;
        _requestSink = null;
        if (command.Field == CommandField.CCancelRequest)
        {
            return; // C-CANCEL has no response (PS3.7 §9.3.2.3); we perform each request before reading the next
        }
        DimseCommand response;
        DicomDataset? responseData = null;
        DimseRequest? performed = null;
        var context = _contexts[message.ContextId];
        if (command.Field == CommandField.CStoreRequest && OnStore is { } store)
        {
            var status = store(message, sink ?? Stream.Null, context.AbstractSyntax);
            response = DimseCommand.StoreResponse(command.MessageId, command.AffectedSopClassUid, command.AffectedSopInstanceUid, status);
        }
        else
        {
            (response, responseData, performed) = Handle(message, sink, context);
        }
        if (sink is BoundedMemoryStream own)
            own.Dispose();
        try
        {
            Send(message.ContextId, response, responseData is null ? null : s => WriteDataSet(s, responseData, SyntaxOf(message.ContextId)));
        }
        catch (DicomNetworkException)
        {
            // the association is gone; its indication says why
        }
        catch (InvalidOperationException)
        {
            // released or aborted meanwhile: the table allows no P-DATA now
        }
        finally
        {
            performed?.MarkResponded();
        }
    }

    private (DimseCommand, DicomDataset?, DimseRequest?) Handle(DimseMessage message, Stream? sink, (string AbstractSyntax, string TransferSyntax) context)
    {
        var command = message.Command;
        var sopClass = command.SopClassUid;
        var handler = _handlers.Find(command.Field, sopClass, out var known);
        if (handler is null && command.Field == CommandField.CEchoRequest && sopClass == DicomUids.Verification)
            return (DimseCommand.EchoResponse(command.MessageId, DicomStatus.Success), null, null);
        if (handler is null)
        {
            // PS3.7 Annex C: nothing here performs this command (0211), or not for this SOP class (0122).
            var refusal = known ? new DicomStatus(0x0122, "SOP class not supported") : new DicomStatus(0x0211, "unrecognized operation");
            return (DimseCommand.ResponseTo(command, refusal, hasDataSet: false), null, null);
        }
        if (sopClass != context.AbstractSyntax)
            return (DimseCommand.ResponseTo(command, new DicomStatus(0x0122, "SOP class differs from the presentation context's"), false), null, null);
        DicomDataset? data = null;
        if (sink is BoundedMemoryStream memory)
        {
            memory.Position = 0;
            try
            {
                data = DicomFile.ReadDataset(memory, DicomTransferSyntax.FromUid(context.TransferSyntax));
            }
            catch (DicomFormatException e)
            {
                return (DimseCommand.ResponseTo(command, new DicomStatus(0x0110, "the data set cannot be read: " + e.Message), false), null, null);
            }
        }
        var request = new DimseRequest(command, data, message.ContextId, context.TransferSyntax, Request.CallingAE, Request.CalledAE,
            _handle ??= new DimseAssociation(this));
        DimseReply reply;
        try
        {
            var pending = handler(request, _gone.Token);
            reply = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever the handler's failure, the peer hears a processing failure for this request and the association goes on.
            reply = new DimseReply(new DicomStatus(0x0110, e.Message));
        }
        return (DimseCommand.ResponseTo(command, reply.Status, reply.DataSet is not null, reply.SopInstanceUid), reply.DataSet, request);
    }

    // ---- release --------------------------------------------------------------------------------------------------

    /// <summary>Releases (AR-1) and waits for the confirmation, at most the ARTIM time; then the transport is closed.</summary>
    public async Task ReleaseAsync(CancellationToken ct)
    {
        try
        {
            _ul.Release();
        }
        catch (InvalidOperationException)
        {
            return; // not in Sta6: already released, aborted or closed
        }
        catch (DicomNetworkException)
        {
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.ArtimTimeout);
        try
        {
            await _released.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            await _ul.Closed.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The peer did not complete the release: what was confirmed stays confirmed; close.
            _ul.Dispose();
        }
    }

    /// <summary>Waits until the association is over (Sta1) — after an abort, the peer closes or ARTIM expires.</summary>
    public Task Closing => _ul.Closed;
}

/// <summary>
/// A request we sent, waiting for its response(s): one for most services, a stream of pending responses and a final
/// one for C-FIND (each pending response's data set held until it is read, bounded).
/// </summary>
internal sealed class DimseOperation : IDisposable
{
    private readonly TaskCompletionSource<DimseResponse>? _single;
    private readonly Channel<DimseResponse>? _many;
    private BoundedMemoryStream? _sink;

    internal DimseOperation(ushort messageId, CommandField request, bool multipleResponses)
    {
        MessageId = messageId;
        RequestField = request;
        MultipleResponses = multipleResponses;
        // The awaiting caller goes on on the thread pool, never on the reader thread: a caller that blocked there
        // (waiting, say, for an N-EVENT-REPORT) would stop the association it waits on. Measured: no cost in objects/s
        // once reads are truly blocking (docs/benchmarks.md).
        if (multipleResponses)
            _many = Channel.CreateBounded<DimseResponse>(new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
        else
            _single = new TaskCompletionSource<DimseResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private int _sentFlag;

    /// <summary>True the first time: the request is now wholly sent.</summary>
    internal bool MarkSent() => Interlocked.CompareExchange(ref _sentFlag, 1, 0) == 0;

    /// <summary>True when it had been sent and is now done (its final response came, or it was given up).</summary>
    internal bool MarkDone() => Interlocked.CompareExchange(ref _sentFlag, 2, 1) == 1;

    public ushort MessageId { get; }
    public CommandField RequestField { get; }
    public bool MultipleResponses { get; }

    internal Stream OpenSink()
    {
        _sink = new BoundedMemoryStream(DimseService.MaxDataSetBytes, "a response data set");
        return _sink;
    }

    internal DicomDataset? ReadDataSet(DicomTransferSyntax syntax)
    {
        if (_sink is null)
            return null;
        _sink.Position = 0;
        var data = DicomFile.ReadDataset(_sink, syntax);
        _sink = null;
        return data;
    }

    internal void Deliver(DimseResponse response)
    {
        if (_single is not null)
        {
            _single.TrySetResult(response);
            return;
        }
        // The reader thread waits while the consumer is 16 responses behind (a flood of matches is held back by TCP,
        // not by our memory); a failed or finished operation completes the channel, which ends the wait.
        while (!_many!.Writer.TryWrite(response))
        {
            if (!_many.Writer.WaitToWriteAsync().AsTask().GetAwaiter().GetResult())
                return;
        }
        if (response.Status.Category != DicomStatusCategory.Pending)
            _many.Writer.TryComplete();
    }

    internal void Fail(Exception error)
    {
        _single?.TrySetException(error);
        _many?.Writer.TryComplete(error);
    }

    /// <summary>The (final) response of a single-response request.</summary>
    public Task<DimseResponse> Response => _single!.Task;

    /// <summary>The responses of a multiple-response request, the final one last.</summary>
    public ChannelReader<DimseResponse> Responses => _many!.Reader;

    public void Dispose() => _sink?.Dispose();
}
