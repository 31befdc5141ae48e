using System.Globalization;

namespace Gateway.Dicom.Network;

/// <summary>
/// What the upper layer service provider tells its user (PS3.8 §7): the indications and confirmations of A-ASSOCIATE,
/// P-DATA, A-RELEASE, A-ABORT and A-P-ABORT. Called outside the state gate, in the order the actions issued them; a
/// P-DATA body is valid only during the call. The user answers with the request and response primitives of
/// <see cref="Association"/>.
/// </summary>
internal interface IUpperLayerUser
{
    /// <summary>Acceptor, Sta3: answer with <see cref="Association.AcceptAssociation"/> or <see cref="Association.RejectAssociation"/>.</summary>
    void AssociateIndication(AssociateRequest request);

    /// <summary>Requestor: the peer accepted (<paramref name="accept"/>) or rejected (<paramref name="reject"/>).</summary>
    void AssociateConfirmation(AssociateAccept? accept, AssociateReject? reject);

    /// <summary>
    /// A P-DATA-TF arrived (its PDVs parsed). The user returns a protocol error when the PDU is invalid for it (a PDV
    /// on a context never accepted, fragments out of order): the PDU is then an invalid one (Evt19, AA-8).
    /// </summary>
    DicomProtocolException? PDataIndication(ReadOnlyMemory<byte> body, List<Pdv> pdvs);

    /// <summary>The peer asks to release (Sta8), or both sides did at once (Sta9 / Sta10, a release collision).</summary>
    void ReleaseIndication(bool collision);

    void ReleaseConfirmation();

    /// <summary>
    /// A-ABORT from the peer's user (<paramref name="abort"/> set) or A-P-ABORT (the provider gave up: <paramref name="reason"/>;
    /// <paramref name="transportClosed"/> when because the transport connection closed).
    /// </summary>
    void AbortIndication(AbortRequest? abort, string reason, bool transportClosed = false);

    /// <summary>The association is over and its transport closed (Sta1).</summary>
    void Closed();
}

/// <summary>
/// One association, either role, run by the PS3.8 state machine: every input — a PDU read, the transport opening or
/// closing, the ARTIM timer, a request or response primitive of the local user — is an event; the transition table
/// (<see cref="TransitionTable"/>) names the action, and <see cref="Execute"/> carries it out (send a PDU, start or stop
/// ARTIM, issue an indication, open or close the transport) and sets the state. Nothing else changes the state.
/// <para>
/// One reader thread per association reads PDUs with blocking reads (a thread-pool hop per response cost ~40 µs per
/// object, issue #9) and fires their events; primitives fire on the caller's thread. Transitions are serialised by one
/// gate; PDUs are written under it, so the order on the wire is the order of the transitions. Indications are issued
/// after the gate is released, on the thread that fired the event.
/// </para>
/// </summary>
internal sealed class Association : IDisposable
{
    private readonly object _gate = new();
    private readonly IUpperLayerUser _user;
    private readonly TimeProvider _time;
    private readonly TimeSpan _artimTimeout;
    private readonly ITimer _artim;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<CancellationToken, Task<DicomConnection>>? _connect;
    private readonly CancellationTokenSource _connecting = new();
    private DicomConnection? _transport;
    private AssociateRequest? _request;
    private Thread? _reader;
    private bool _artimRunning;

    private Association(bool requestor, IUpperLayerUser user, string peer, TimeProvider time, TimeSpan artimTimeout,
        DicomConnection? transport, Func<CancellationToken, Task<DicomConnection>>? connect)
    {
        IsRequestor = requestor;
        _user = user;
        Peer = peer;
        _time = time;
        _artimTimeout = artimTimeout;
        _transport = transport;
        _connect = connect;
        _artim = time.CreateTimer(_ => OnArtimExpired(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// An association-requestor: <see cref="Start"/> issues the A-ASSOCIATE request (Evt1), which opens the transport with
    /// <paramref name="connect"/> (AE-1) and then proposes <paramref name="request"/> (AE-2).
    /// </summary>
    public static Association Requestor(IUpperLayerUser user, string peer, TimeProvider time, TimeSpan artimTimeout,
        Func<CancellationToken, Task<DicomConnection>> connect, AssociateRequest request) =>
        new(true, user, peer, time, artimTimeout, null, connect) { _request = request };

    /// <summary>An association-acceptor on a transport connection a peer just opened: <see cref="Start"/> is Evt5.</summary>
    public static Association Acceptor(IUpperLayerUser user, DicomConnection transport, TimeProvider time, TimeSpan artimTimeout) =>
        new(false, user, transport.Peer, time, artimTimeout, transport, null);

    /// <summary>The first event: A-ASSOCIATE request (requestor, Evt1) or transport connection indication (acceptor, Evt5).</summary>
    public void Start()
    {
        if (State != UlState.Sta1)
            throw new InvalidOperationException($"the association was started already (it is in {State}; PS3.8 Table 9-10 defines Evt1 and Evt5 in Sta1 only)");
        Fire(IsRequestor ? UlEvent.Evt1 : UlEvent.Evt5);
    }

    public bool IsRequestor { get; }
    public string Peer { get; }
    private volatile UlState _state = UlState.Sta1;

    public UlState State
    {
        get => _state;
        private set => _state = value;
    }

    /// <summary>The transport (tests read its socket's options back); null before AE-1 completes.</summary>
    public DicomConnection? Transport => _transport;

    private readonly TaskCompletionSource _transportOpened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Requestor: completes when the transport is open and the A-ASSOCIATE-RQ sent (AE-2).</summary>
    public Task TransportOpened => _transportOpened.Task;

    /// <summary>Completes when the association is back in Sta1 with its transport closed.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Test hook: every transition, as (state before, event, action, state after).</summary>
    internal Action<UlState, UlEvent, UlAction, UlState>? Trace { get; set; }

    /// <summary>Whether the ARTIM timer runs (tests).</summary>
    internal bool ArtimRunning
    {
        get
        {
            lock (_gate)
                return _artimRunning;
        }
    }

    // ---- primitives of the local user -------------------------------------------------------------------------

    /// <summary>A-ASSOCIATE response, accept (Evt7).</summary>
    public void AcceptAssociation(AssociateAccept accept) => Fire(UlEvent.Evt7, new Input(Item: accept));

    /// <summary>A-ASSOCIATE response, reject (Evt8).</summary>
    public void RejectAssociation(AssociateReject reject) => Fire(UlEvent.Evt8, new Input(Item: reject));

    /// <summary>P-DATA request (Evt9): <paramref name="pdus"/> is one or more whole P-DATA-TF PDUs, written before this returns.</summary>
    public void SendPData(ReadOnlyMemory<byte> pdus, bool flush)
    {
        Fire(UlEvent.Evt9, new Input(Body: pdus, Flush: flush));
        ThrowIfSendFailed();
    }

    /// <summary>A-RELEASE request (Evt11).</summary>
    public void Release() => Fire(UlEvent.Evt11);

    /// <summary>A-RELEASE response (Evt14).</summary>
    public void ReleaseResponse() => Fire(UlEvent.Evt14);

    /// <summary>A-ABORT request (Evt15). Does nothing where the table has no abort (Sta1, Sta2, Sta13: nothing left to abort).</summary>
    public void Abort() => Fire(UlEvent.Evt15, strict: false);

    /// <summary>
    /// Closes the transport now, without waiting for the gate (a blocking send to a peer that stopped reading may hold
    /// it for the send timeout): the send fails, the reader sees the close (Evt17), and the table takes it from there.
    /// </summary>
    public void CloseTransportNow() => _transport?.Dispose();

    /// <summary>Whether a local primitive is defined now (e.g. release only from Sta6).</summary>
    public bool Allows(UlEvent evt)
    {
        lock (_gate)
            return TransitionTable.Lookup(State, evt) is not null;
    }

    // ---- the machine ------------------------------------------------------------------------------------------

    /// <summary>What an event carries: a PDU's parsed content or body, or why the transport closed.</summary>
    private readonly record struct Input(object? Item = null, ReadOnlyMemory<byte> Body = default, string? Why = null,
        AbortReason Reason = AbortReason.NotSpecified, bool Flush = true);

    /// <summary>What the user said of the last P-DATA-TF (reader thread only): null, or why the PDU is invalid.</summary>
    private DicomProtocolException? _verdict;

    /// <summary>Indications issued by the action being executed (under the gate), delivered after it is released.</summary>
    private List<Action>? _issued;

    private static bool IsLocal(UlEvent evt) => evt is UlEvent.Evt1 or UlEvent.Evt7 or UlEvent.Evt8 or UlEvent.Evt9
        or UlEvent.Evt11 or UlEvent.Evt14 or UlEvent.Evt15;

    /// <param name="strict">A local primitive the table does not define here is a programming error (thrown), unless false.</param>
    /// <returns>Whether the table defined an action (false: nothing happened).</returns>
    private bool Fire(UlEvent evt, Input input = default, bool strict = true)
    {
        List<Action>? issued;
        lock (_gate)
        {
            var action = TransitionTable.Lookup(State, evt);
            if (action is null)
            {
                if (strict && IsLocal(evt))
                {
                    // After the association ended under the caller (aborted, closed), that is what the caller hears;
                    // elsewhere a primitive the table does not allow is a programming error.
                    if (State is UlState.Sta1 or UlState.Sta13 && Ended is { } why)
                        throw why.TransportClosed ? new ConnectionClosedException(why.Message) : new DicomAbortedException(why.Message);
                    throw new InvalidOperationException($"{Describe(evt)} is not possible in {State} (PS3.8 Table 9-10)");
                }
                return false; // a transport event after the transport is gone (Sta1): nothing to do
            }
            var before = State;
            try
            {
                State = Execute(action.Value, input);
            }
            finally
            {
                issued = _issued;
                _issued = null;
            }
            Trace?.Invoke(before, evt, action.Value, State);
            if (State == UlState.Sta1)
            {
                StopArtim();
                CloseTransport();
                (issued ??= []).Add(_user.Closed);
                _closed.TrySetResult();
            }
        }
        if (issued is null)
            return true;
        foreach (var indication in issued)
        {
            try
            {
                indication();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                UserFailed(e);
            }
        }
        return true;
    }

    /// <summary>Why the association ended, once it did (an abort either way, the transport closing), for late callers.</summary>
    private EndReason? Ended { get; set; }

    private sealed record EndReason(bool TransportClosed, string Message);

    /// <summary>
    /// Told when the user failed on an indication (a bug, never the peer's input) or the reader thread met the
    /// unexpected: the owner logs it. Nothing dies silently, and the process does not die either: the association is
    /// aborted (AA-1) and the user told.
    /// </summary>
    public Action<Exception>? Faulted { get; set; }

    private void UserFailed(Exception e)
    {
        try
        {
            Faulted?.Invoke(e);
            Fire(UlEvent.Evt15, strict: false);
            _user.AbortIndication(null, $"internal error: {e.GetType().Name}: {e.Message}");
        }
        catch (Exception again) when (again is not OutOfMemoryException)
        {
            CloseTransport(); // as far as we can go: the transport is closed, the reader sees it
        }
    }

    /// <summary>Carries out an action of PS3.8 Tables 9-6 to 9-9 and returns the next state.</summary>
    private UlState Execute(UlAction action, Input input)
    {
        void Issue(Action indication) => (_issued ??= []).Add(indication);
        switch (action)
        {
            case UlAction.AE1: // issue TRANSPORT CONNECT request
                // Started off the gate: a connect refused at once must come back as Evt17 in Sta4, not inside AE-1.
                _ = Task.Run(ConnectAsync);
                return UlState.Sta4;
            case UlAction.AE2: // send A-ASSOCIATE-RQ
                _transport = (DicomConnection)input.Item!;
                Send(PduEncoder.AssociateRequest(_request!));
                _transportOpened.TrySetResult();
                StartReader();
                return UlState.Sta5;
            case UlAction.AE3: // issue A-ASSOCIATE confirmation (accept)
                var accept = (AssociateAccept)input.Item!;
                Issue(() => _user.AssociateConfirmation(accept, null));
                return UlState.Sta6;
            case UlAction.AE4: // issue A-ASSOCIATE confirmation (reject), close transport
                Ended ??= new EndReason(true, $"{Peer} rejected the association");
                var rejected = (AssociateReject)input.Item!;
                Issue(() => _user.AssociateConfirmation(null, rejected));
                CloseTransport();
                return UlState.Sta1;
            case UlAction.AE5: // issue transport connection response, start ARTIM
                StartReader();
                StartArtim();
                return UlState.Sta2;
            case UlAction.AE6: // stop ARTIM; indication if acceptable to the provider, else A-ASSOCIATE-RJ and ARTIM
                StopArtim();
                var request = (AssociateRequest)input.Item!;
                if ((request.ProtocolVersion & 1) != 0)
                {
                    _request = request;
                    Issue(() => _user.AssociateIndication(request));
                    return UlState.Sta3;
                }
                Send(PduEncoder.AssociateReject(new AssociateReject(RejectResult.Permanent, RejectSource.ServiceProviderAcse, AssociateReject.ProtocolVersionNotSupported)));
                StartArtim();
                return UlState.Sta13;
            case UlAction.AE7: // send A-ASSOCIATE-AC
                Send(PduEncoder.AssociateAccept((AssociateAccept)input.Item!));
                return UlState.Sta6;
            case UlAction.AE8: // send A-ASSOCIATE-RJ, start ARTIM
                Ended ??= new EndReason(true, "the association was rejected");
                Send(PduEncoder.AssociateReject((AssociateReject)input.Item!));
                StartArtim();
                return UlState.Sta13;
            case UlAction.DT1: // send P-DATA-TF
            case UlAction.AR7:
                Send(input.Body.Span, input.Flush);
                return action == UlAction.DT1 ? UlState.Sta6 : UlState.Sta8;
            case UlAction.DT2: // issue P-DATA indication
            case UlAction.AR6:
                var body = input.Body;
                var pdvs = (List<Pdv>)input.Item!;
                Issue(() => _verdict = _user.PDataIndication(body, pdvs));
                return action == UlAction.DT2 ? UlState.Sta6 : UlState.Sta7;
            case UlAction.AR1: // send A-RELEASE-RQ
                Send(PduEncoder.ReleaseRequest());
                return UlState.Sta7;
            case UlAction.AR2: // issue A-RELEASE indication
                Issue(() => _user.ReleaseIndication(collision: false));
                return UlState.Sta8;
            case UlAction.AR3: // issue A-RELEASE confirmation, close transport
                Ended ??= new EndReason(true, $"the association with {Peer} was released");
                Issue(_user.ReleaseConfirmation);
                CloseTransport();
                return UlState.Sta1;
            case UlAction.AR4: // send A-RELEASE-RP, start ARTIM
                Ended ??= new EndReason(true, $"the association with {Peer} was released");
                Send(PduEncoder.ReleaseResponse());
                StartArtim();
                return UlState.Sta13;
            case UlAction.AR5: // stop ARTIM
                Ended ??= new EndReason(true, $"{Peer} closed the connection");
                StopArtim();
                return UlState.Sta1;
            case UlAction.AR8: // issue A-RELEASE indication (release collision)
                Issue(() => _user.ReleaseIndication(collision: true));
                return IsRequestor ? UlState.Sta9 : UlState.Sta10;
            case UlAction.AR9: // send A-RELEASE-RP
                Send(PduEncoder.ReleaseResponse());
                return UlState.Sta11;
            case UlAction.AR10: // issue A-RELEASE confirmation
                Issue(_user.ReleaseConfirmation);
                return UlState.Sta12;
            case UlAction.AA1: // send A-ABORT (service-user), start or restart ARTIM
                Ended ??= new EndReason(false, $"the association with {Peer} was aborted");
                Send(PduEncoder.Abort(AbortSource.ServiceUser, AbortReason.NotSpecified));
                StartArtim();
                return UlState.Sta13;
            case UlAction.AA2: // stop ARTIM if running, close transport
                Ended ??= new EndReason(true, $"the connection to {Peer} was closed");
                _connecting.Cancel();
                StopArtim();
                CloseTransport();
                return UlState.Sta1;
            case UlAction.AA3: // A-ABORT (service-user source) or A-P-ABORT indication, close transport
                var abort = (AbortRequest)input.Item!;
                var why = string.Create(CultureInfo.InvariantCulture, $"{Peer} aborted the association (source {abort.Source}, reason {abort.Reason})");
                Ended ??= new EndReason(false, why);
                Issue(() => _user.AbortIndication(abort.Source == AbortSource.ServiceProvider ? null : abort, why));
                CloseTransport();
                return UlState.Sta1;
            case UlAction.AA4: // issue A-P-ABORT indication (the transport closed)
                var closed = input.Why ?? "the transport connection closed";
                Ended ??= new EndReason(true, closed);
                Issue(() => _user.AbortIndication(null, closed, transportClosed: true));
                return UlState.Sta1;
            case UlAction.AA5: // stop ARTIM
                Ended ??= new EndReason(true, $"{Peer} closed the connection");
                StopArtim();
                return UlState.Sta1;
            case UlAction.AA6: // ignore PDU
                return UlState.Sta13;
            case UlAction.AA7: // send A-ABORT
                Send(PduEncoder.Abort(AbortSource.ServiceProvider, input.Reason));
                return UlState.Sta13;
            case UlAction.AA8: // send A-ABORT (service-provider), issue A-P-ABORT indication, start ARTIM
                Send(PduEncoder.Abort(AbortSource.ServiceProvider, input.Reason));
                var broken = input.Why ?? $"unexpected PDU in {State}";
                Ended ??= new EndReason(false, $"{Peer} broke the protocol: {broken}; association aborted");
                Issue(() => _user.AbortIndication(null, broken));
                StartArtim();
                return UlState.Sta13;
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action, null);
        }
    }

    // ---- what actions do --------------------------------------------------------------------------------------

    private bool _sendFailed;
    private string? _sendFailure;

    /// <summary>
    /// Writes a PDU now. A broken transport does not stop the action (the table has no "send failed" outcome): the
    /// transport is closed, the reader sees it (Evt17), and a local primitive that sent learns it from
    /// <see cref="ThrowIfSendFailed"/>.
    /// </summary>
    private void Send(ReadOnlySpan<byte> pdu, bool flush = true)
    {
        if (_sendFailed || _transport is null)
            return;
        try
        {
            _transport.Send(pdu, flush);
        }
        catch (ConnectionClosedException e)
        {
            _sendFailed = true;
            _sendFailure = e.Message;
            _transport.Dispose();
        }
    }

    /// <summary>After a local primitive: the PDU it sent did not reach the transport.</summary>
    private void ThrowIfSendFailed()
    {
        if (_sendFailed)
            throw new ConnectionClosedException(_sendFailure ?? $"connection to {Peer} broke while sending");
    }

    private DateTimeOffset _artimDue = DateTimeOffset.MaxValue;

    private void StartArtim()
    {
        _artimRunning = true;
        _artimDue = _time.GetUtcNow() + _artimTimeout;
        _artim.Change(_artimTimeout, Timeout.InfiniteTimeSpan);
    }

    private void StopArtim()
    {
        if (!_artimRunning)
            return;
        _artimRunning = false;
        _artim.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    private void OnArtimExpired()
    {
        try
        {
            lock (_gate)
            {
                if (!_artimRunning)
                    return; // stopped after this callback was on its way
                // Started again after this callback was on its way, or a timer a little ahead of the clock: wait
                // for the rest.
                var left = _artimDue - _time.GetUtcNow();
                if (left > TimeSpan.Zero)
                {
                    _artim.Change(left, Timeout.InfiniteTimeSpan);
                    return;
                }
                _artimRunning = false;
            }
            Fire(UlEvent.Evt18);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            UserFailed(e);
        }
    }

    private void CloseTransport() => _transport?.Dispose();

    private async Task ConnectAsync()
    {
        DicomConnection transport;
        try
        {
            transport = await _connect!(_connecting.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Sta4 + Evt17: AA-4, the user hears why; after a local abort (Sta1) nothing is left to tell.
            ConnectFailure = e;
            Fire(UlEvent.Evt17, new Input(Why: e.Message));
            return;
        }
        try
        {
            // Aborted while connecting (AA-2, Sta1): the table has no Evt2 there, and the transport is closed.
            if (!Fire(UlEvent.Evt2, new Input(Item: transport)))
                transport.Dispose();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // AE-2 could not send the request (an item the encoder refuses): the transport is given up (Evt17, AA-4).
            ConnectFailure = e;
            transport.Dispose();
            Fire(UlEvent.Evt17, new Input(Why: e.Message));
        }
    }

    /// <summary>Why the transport connection could not be opened (AE-1 failed), for the user's error.</summary>
    public Exception? ConnectFailure { get; private set; }

    private void StartReader()
    {
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "dicom-ul" };
        _reader.Start();
    }

    /// <summary>The reader thread: every PDU, and the transport closing, becomes an event.</summary>
    private void ReadLoop()
    {
        try
        {
            ReadPdus();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            UserFailed(e);
        }
    }

    private void ReadPdus()
    {
        var transport = _transport!;
        while (true)
        {
            ReceivedPdu pdu;
            try
            {
                pdu = transport.Read();
            }
            catch (ConnectionClosedException e)
            {
                Fire(UlEvent.Evt17, new Input(Why: e.Message));
                return;
            }
            catch (PduFramingException e)
            {
                // Evt19; the byte stream can no longer be cut into PDUs: what follows is ignored until the peer closes.
                Fire(UlEvent.Evt19, new Input(Why: e.Message, Reason: e.Reason));
                transport.DrainUntilClosed();
                Fire(UlEvent.Evt17, new Input(Why: "the connection closed"));
                return;
            }
            var (evt, input) = Classify(pdu);
            Fire(evt, input);
            if (_verdict is { } invalid)
            {
                _verdict = null;
                Fire(UlEvent.Evt19, new Input(Why: invalid.Message, Reason: invalid.Reason));
            }
            if (transport.IsClosed && State == UlState.Sta1)
                return;
        }
    }

    /// <summary>The event of a PDU (Evt3, 4, 6, 10, 12, 13, 16), or Evt19 when its content is invalid.</summary>
    private static (UlEvent, Input) Classify(ReceivedPdu pdu)
    {
        try
        {
            var span = pdu.Body.Span;
            return pdu.Type switch
            {
                PduType.AssociateRequest => (UlEvent.Evt6, new Input(Item: PduParser.ParseAssociateRequest(span))),
                PduType.AssociateAccept => (UlEvent.Evt3, new Input(Item: PduParser.ParseAssociateAccept(span))),
                PduType.AssociateReject => (UlEvent.Evt4, new Input(Item: PduParser.ParseAssociateReject(span))),
                PduType.PData => (UlEvent.Evt10, new Input(Item: PduParser.ParsePData(span), Body: pdu.Body)),
                PduType.ReleaseRequest => Release(span, "A-RELEASE-RQ", UlEvent.Evt12),
                PduType.ReleaseResponse => Release(span, "A-RELEASE-RP", UlEvent.Evt13),
                PduType.Abort => (UlEvent.Evt16, new Input(Item: PduParser.ParseAbort(span))),
                _ => (UlEvent.Evt19, new Input(Why: $"unrecognized PDU type {pdu.Type}", Reason: AbortReason.UnrecognizedPdu)),
            };
        }
        catch (DicomProtocolException e)
        {
            return (UlEvent.Evt19, new Input(Why: e.Message, Reason: e.Reason));
        }

        static (UlEvent, Input) Release(ReadOnlySpan<byte> body, string name, UlEvent evt)
        {
            PduParser.ParseRelease(body, name);
            return (evt, default);
        }
    }

    private static string Describe(UlEvent evt) => evt switch
    {
        UlEvent.Evt1 => "A-ASSOCIATE request",
        UlEvent.Evt7 => "A-ASSOCIATE response (accept)",
        UlEvent.Evt8 => "A-ASSOCIATE response (reject)",
        UlEvent.Evt9 => "P-DATA request",
        UlEvent.Evt11 => "A-RELEASE request",
        UlEvent.Evt14 => "A-RELEASE response",
        UlEvent.Evt15 => "A-ABORT request",
        _ => evt.ToString(),
    };

    /// <summary>Closes the transport whatever the state (the owner gave up on the association) and stops the timer.</summary>
    public void Dispose()
    {
        try
        {
            Fire(UlEvent.Evt15, strict: false); // Sta4: AA-2 (the connect is abandoned); Sta3, Sta5–Sta12: AA-1
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // closing below all the same
        }
        lock (_gate)
        {
            _connecting.Cancel();
            StopArtim();
            CloseTransport();
        }
        _artim.Dispose();
    }
}
