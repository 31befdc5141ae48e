using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Dicom.Network.Tests;

/// <summary>
/// Issue #16: the table drives the code. For every cell of PS3.8 Table 9-10 a real <see cref="Association"/> is put
/// into the state over a loopback socket whose other end the test scripts, the event is delivered (a PDU from the
/// peer, a primitive of the local user, the peer closing, the ARTIM timer expiring on a fake clock) and the action's
/// effects are checked where a user would see them: the PDU on the wire, the timer running or not, the indication
/// raised, the socket closed — and the next state.
/// </summary>
public sealed class StateMachineTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Artim = TimeSpan.FromSeconds(30);

    /// <summary>The local user: records every indication; answers nothing unless the test does.</summary>
    private sealed class RecordingUser : IUpperLayerUser
    {
        public BlockingCollection<string> Indications { get; } = [];

        public void AssociateIndication(AssociateRequest request) => Indications.Add("A-ASSOCIATE indication");
        public void AssociateConfirmation(AssociateAccept? accept, AssociateReject? reject) =>
            Indications.Add(accept is not null ? "A-ASSOCIATE confirmation (accept)" : "A-ASSOCIATE confirmation (reject)");
        public DicomProtocolException? PDataIndication(ReadOnlyMemory<byte> body, List<Pdv> pdvs)
        {
            Indications.Add("P-DATA indication");
            return null;
        }
        public void ReleaseIndication(bool collision) => Indications.Add(collision ? "A-RELEASE indication (collision)" : "A-RELEASE indication");
        public void ReleaseConfirmation() => Indications.Add("A-RELEASE confirmation");
        public void AbortIndication(AbortRequest? abort, string reason, bool transportClosed = false) =>
            Indications.Add(abort is not null ? "A-ABORT indication" : "A-P-ABORT indication");
        public void Closed() => Indications.Add("closed");
    }

    /// <summary>One association under test, with the scripted peer at the other end of its socket.</summary>
    private sealed class Rig : IDisposable
    {
        private readonly BlockingCollection<(UlState Before, UlEvent Event, UlAction Action, UlState After)> _trace = [];
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly TaskCompletionSource<DicomConnection>? _connect;
        private readonly DicomConnection? _local;

        public Rig(bool requestor)
        {
            _listener.Start();
            Peer = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = (int)Wait.TotalMilliseconds };
            Peer.Connect(IPAddress.Loopback, ((IPEndPoint)_listener.LocalEndpoint).Port);
            var accepted = _listener.AcceptSocket();
            _local = new DicomConnection(new NetworkStream(accepted, ownsSocket: true), "peer", accepted) { MaxReceivePdu = 64 * 1024 };
            if (requestor)
            {
                // Completed inline: the connect's continuation (Evt2 or Evt17) runs on the test's thread, whatever the
                // thread pool is doing for the tests running beside this one.
                _connect = new TaskCompletionSource<DicomConnection>();
                var request = new AssociateRequest("SCP", "SCU", [new PresentationContextProposal(1, DicomUids.Verification, [DicomUids.ImplicitVRLittleEndian])],
                    new UserInformation { MaxPduLength = 16384, ImplementationClassUid = "1.2.3" });
                Association = Association.Requestor(User, "peer", Time, Artim, _ => _connect.Task, request);
            }
            else
            {
                Association = Association.Acceptor(User, _local, Time, Artim);
            }
            Association.Trace = (before, evt, action, after) => _trace.Add((before, evt, action, after));
        }

        public RecordingUser User { get; } = new();
        public FakeTimeProvider Time { get; } = new();
        public Association Association { get; }
        public Socket Peer { get; }

        /// <summary>Waits for the transition of <paramref name="evt"/> and returns its action and next state.</summary>
        public (UlAction Action, UlState After) Transition(UlEvent evt)
        {
            while (_trace.TryTake(out var step, Wait))
            {
                if (step.Event == evt)
                    return (step.Action, step.After);
            }
            throw new Xunit.Sdk.XunitException($"no transition for {evt} within {Wait} (state {Association.State})");
        }

        public void CompleteConnect() => _connect!.SetResult(_local!);
        public void FailConnect() => _connect!.SetException(new DicomNetworkException("connection refused"));

        public void Send(byte[] pdu) => Peer.Send(pdu);

        /// <summary>The next PDU the association sent: (type, body), or null when the socket closed.</summary>
        public (PduType Type, byte[] Body)? Receive()
        {
            var header = new byte[6];
            if (!Fill(header))
                return null;
            var body = new byte[(header[2] << 24) | (header[3] << 16) | (header[4] << 8) | header[5]];
            return Fill(body) ? ((PduType)header[0], body) : null;
        }

        /// <summary>True when the association closed the socket (no further byte arrives).</summary>
        public bool SeesClose()
        {
            var buffer = new byte[64];
            try
            {
                while (true)
                {
                    var n = Peer.Receive(buffer);
                    if (n == 0)
                        return true;
                }
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                return true;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                return false;
            }
        }

        /// <summary>True when nothing arrives for a moment (and the socket stays open).</summary>
        public bool SeesSilence()
        {
            Peer.ReceiveTimeout = 300;
            try
            {
                return Peer.Receive(new byte[1]) < 0;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                return true;
            }
            finally
            {
                Peer.ReceiveTimeout = (int)Wait.TotalMilliseconds;
            }
        }

        private bool Fill(Span<byte> buffer)
        {
            var at = 0;
            while (at < buffer.Length)
            {
                var n = Peer.Receive(buffer[at..]);
                if (n == 0)
                    return false;
                at += n;
            }
            return true;
        }

        public string NextIndication() => User.Indications.TryTake(out var i, Wait) ? i : "none";

        public void Dispose()
        {
            Association.Dispose();
            Peer.Dispose();
            _listener.Stop();
            _local?.Dispose();
        }
    }

    private static byte[] Ac() => PduEncoder.AssociateAccept(new AssociateAccept("SCP", "SCU",
        [new PresentationContextAnswer(1, PresentationContextResult.Acceptance, DicomUids.ImplicitVRLittleEndian)],
        new UserInformation { MaxPduLength = 16384, ImplementationClassUid = "1.2.3" }));

    private static byte[] Rq() => RawPeer.AssociateRequest();
    private static byte[] Rj() => PduEncoder.AssociateReject(new AssociateReject(RejectResult.Permanent, RejectSource.ServiceUser, 1));
    private static byte[] PData() => RawPeer.PData(1, command: true, last: false, [1, 2, 3, 4]);
    private static byte[] Abort() => PduEncoder.Abort(AbortSource.ServiceUser, AbortReason.NotSpecified);

    /// <summary>A PDU whose framing holds but whose content is invalid: an A-ASSOCIATE-AC of ten zero bytes.</summary>
    private static byte[] Invalid()
    {
        var pdu = new byte[16];
        PduEncoder.Header(pdu, PduType.AssociateAccept, 10);
        return pdu;
    }

    private static void Expect(Rig rig, UlEvent evt, UlState state)
    {
        var (_, after) = rig.Transition(evt);
        Assert.Equal(state, after);
    }

    /// <summary>Puts a fresh association into <paramref name="state"/> through the transitions the table gives.</summary>
    private static Rig Enter(UlState state, bool acceptorInSta1 = false)
    {
        var acceptorSide = state is UlState.Sta2 or UlState.Sta3 or UlState.Sta10 or UlState.Sta12 || (state == UlState.Sta1 && acceptorInSta1);
        var rig = new Rig(requestor: !acceptorSide);
        try
        {
            if (state == UlState.Sta1)
                return rig;
            if (acceptorSide)
            {
                rig.Association.Start();
                Expect(rig, UlEvent.Evt5, UlState.Sta2);
                if (state == UlState.Sta2)
                    return rig;
                rig.Send(Rq());
                Expect(rig, UlEvent.Evt6, UlState.Sta3);
                Assert.Equal("A-ASSOCIATE indication", rig.NextIndication());
                if (state == UlState.Sta3)
                    return rig;
                rig.Association.AcceptAssociation(new AssociateAccept("SCP", "HOSTILE", [], new UserInformation { MaxPduLength = 16384 }));
                Expect(rig, UlEvent.Evt7, UlState.Sta6);
                Assert.Equal(PduType.AssociateAccept, rig.Receive()?.Type);
                rig.Association.Release();
                Expect(rig, UlEvent.Evt11, UlState.Sta7);
                Assert.Equal(PduType.ReleaseRequest, rig.Receive()?.Type);
                rig.Send(PduEncoder.ReleaseRequest());
                Expect(rig, UlEvent.Evt12, UlState.Sta10);
                Assert.Equal("A-RELEASE indication (collision)", rig.NextIndication());
                if (state == UlState.Sta10)
                    return rig;
                rig.Send(PduEncoder.ReleaseResponse());
                Expect(rig, UlEvent.Evt13, UlState.Sta12);
                Assert.Equal("A-RELEASE confirmation", rig.NextIndication());
                return rig;
            }
            rig.Association.Start();
            Expect(rig, UlEvent.Evt1, UlState.Sta4);
            if (state == UlState.Sta4)
                return rig;
            rig.CompleteConnect();
            Expect(rig, UlEvent.Evt2, UlState.Sta5);
            Assert.Equal(PduType.AssociateRequest, rig.Receive()?.Type);
            if (state == UlState.Sta5)
                return rig;
            rig.Send(Ac());
            Expect(rig, UlEvent.Evt3, UlState.Sta6);
            Assert.Equal("A-ASSOCIATE confirmation (accept)", rig.NextIndication());
            switch (state)
            {
                case UlState.Sta6:
                    return rig;
                case UlState.Sta8:
                    rig.Send(PduEncoder.ReleaseRequest());
                    Expect(rig, UlEvent.Evt12, UlState.Sta8);
                    Assert.Equal("A-RELEASE indication", rig.NextIndication());
                    return rig;
                case UlState.Sta13:
                    rig.Association.Abort();
                    Expect(rig, UlEvent.Evt15, UlState.Sta13);
                    Assert.Equal(PduType.Abort, rig.Receive()?.Type);
                    return rig;
            }
            rig.Association.Release();
            Expect(rig, UlEvent.Evt11, UlState.Sta7);
            Assert.Equal(PduType.ReleaseRequest, rig.Receive()?.Type);
            if (state == UlState.Sta7)
                return rig;
            rig.Send(PduEncoder.ReleaseRequest());
            Expect(rig, UlEvent.Evt12, UlState.Sta9);
            Assert.Equal("A-RELEASE indication (collision)", rig.NextIndication());
            if (state == UlState.Sta9)
                return rig;
            rig.Association.ReleaseResponse();
            Expect(rig, UlEvent.Evt14, UlState.Sta11);
            Assert.Equal(PduType.ReleaseResponse, rig.Receive()?.Type);
            return rig;
        }
        catch
        {
            rig.Dispose();
            throw;
        }
    }

    private static bool IsLocal(UlEvent e) => e is UlEvent.Evt1 or UlEvent.Evt5 or UlEvent.Evt7 or UlEvent.Evt8 or UlEvent.Evt9
        or UlEvent.Evt11 or UlEvent.Evt14 or UlEvent.Evt15;

    private static bool IsFromPeer(UlEvent e) => e is UlEvent.Evt3 or UlEvent.Evt4 or UlEvent.Evt6 or UlEvent.Evt10 or UlEvent.Evt12
        or UlEvent.Evt13 or UlEvent.Evt16 or UlEvent.Evt17 or UlEvent.Evt19;

    /// <summary>Delivers an event the way it happens for real.</summary>
    private static void Deliver(Rig rig, UlEvent evt)
    {
        var a = rig.Association;
        switch (evt)
        {
            case UlEvent.Evt1 or UlEvent.Evt5: a.Start(); break;
            case UlEvent.Evt2: rig.CompleteConnect(); break;
            case UlEvent.Evt3: rig.Send(Ac()); break;
            case UlEvent.Evt4: rig.Send(Rj()); break;
            case UlEvent.Evt6: rig.Send(Rq()); break;
            case UlEvent.Evt7: a.AcceptAssociation(new AssociateAccept("SCP", "HOSTILE", [], new UserInformation { MaxPduLength = 16384 })); break;
            case UlEvent.Evt8: a.RejectAssociation(new AssociateReject(RejectResult.Permanent, RejectSource.ServiceUser, 1)); break;
            case UlEvent.Evt9: a.SendPData(PData(), flush: true); break;
            case UlEvent.Evt10: rig.Send(PData()); break;
            case UlEvent.Evt11: a.Release(); break;
            case UlEvent.Evt12: rig.Send(PduEncoder.ReleaseRequest()); break;
            case UlEvent.Evt13: rig.Send(PduEncoder.ReleaseResponse()); break;
            case UlEvent.Evt14: a.ReleaseResponse(); break;
            case UlEvent.Evt15: a.Abort(); break;
            case UlEvent.Evt16: rig.Send(Abort()); break;
            case UlEvent.Evt17: rig.Peer.Shutdown(SocketShutdown.Both); rig.Peer.Close(); break;
            case UlEvent.Evt18: rig.Time.Advance(Artim + TimeSpan.FromSeconds(1)); break;
            case UlEvent.Evt19: rig.Send(Invalid()); break;
        }
    }

    [Theory]
    [MemberData(nameof(TransitionTableTests.Cells), MemberType = typeof(TransitionTableTests))]
    public void Each_cell_of_table_9_10_executes_its_action(UlState state, UlEvent evt)
    {
        var expected = TransitionTable.Lookup(state, evt);
        using var rig = Enter(state, acceptorInSta1: evt == UlEvent.Evt5);
        Assert.Equal(state, rig.Association.State);
        var artimBefore = rig.Association.ArtimRunning;
        if (expected is null)
        {
            if (IsLocal(evt) && evt != UlEvent.Evt15)
            {
                // A primitive the table does not allow here is refused, and nothing happens: once the association is
                // over (Sta13) the caller hears why it ended; before, it is a programming error.
                if (state == UlState.Sta13 && evt is not (UlEvent.Evt1 or UlEvent.Evt5))
                    Assert.ThrowsAny<DicomNetworkException>(() => Deliver(rig, evt));
                else
                    Assert.Throws<InvalidOperationException>(() => Deliver(rig, evt));
                Assert.Equal(state, rig.Association.State);
                return;
            }
            if (evt == UlEvent.Evt15)
            {
                // Nothing to abort (no association yet, or none any more): no PDU, no change.
                Deliver(rig, evt);
                Assert.Equal(state, rig.Association.State);
                if (state is UlState.Sta2 or UlState.Sta13)
                    Assert.True(rig.SeesSilence());
                return;
            }
            // The event cannot occur here: no transport yet (Sta1, Sta4) for a PDU, no connect under way outside
            // Sta4, no ARTIM timer running outside Sta2 and Sta13.
            Assert.True(state is UlState.Sta1 or UlState.Sta4 || evt == UlEvent.Evt2 || (evt == UlEvent.Evt18 && !artimBefore),
                $"{evt} in {state}: the table defines nothing, but the event can occur");
            if (evt == UlEvent.Evt18)
            {
                Deliver(rig, evt);
                Assert.Equal(state, rig.Association.State);
            }
            return;
        }
        if (evt == UlEvent.Evt17 && state == UlState.Sta4)
            rig.FailConnect(); // the transport connection never opened: its close is the failed connect
        else
            Deliver(rig, evt);
        var (action, after) = rig.Transition(evt);
        Assert.Equal(expected, action);
        Assert.Equal(TransitionTable.NextState(action, acceptable: true, requestor: rig.Association.IsRequestor), after);
        Observe(rig, action, state);
    }

    /// <summary>What each action of PS3.8 Tables 9-6 to 9-9 must have visibly done.</summary>
    private static void Observe(Rig rig, UlAction action, UlState from)
    {
        var a = rig.Association;
        switch (action)
        {
            case UlAction.AE1: // TRANSPORT CONNECT issued: the connect function was called; nothing on the wire yet
                Assert.Equal(UlState.Sta4, a.State);
                break;
            case UlAction.AE2:
                Assert.Equal(PduType.AssociateRequest, rig.Receive()?.Type);
                break;
            case UlAction.AE3:
                Assert.Equal("A-ASSOCIATE confirmation (accept)", rig.NextIndication());
                break;
            case UlAction.AE4:
                Assert.Equal("A-ASSOCIATE confirmation (reject)", rig.NextIndication());
                Assert.True(rig.SeesClose());
                break;
            case UlAction.AE5:
                Assert.True(a.ArtimRunning);
                break;
            case UlAction.AE6:
                Assert.False(a.ArtimRunning);
                Assert.Equal("A-ASSOCIATE indication", rig.NextIndication());
                break;
            case UlAction.AE7:
                Assert.Equal(PduType.AssociateAccept, rig.Receive()?.Type);
                break;
            case UlAction.AE8:
                Assert.Equal(PduType.AssociateReject, rig.Receive()?.Type);
                Assert.True(a.ArtimRunning);
                break;
            case UlAction.DT1 or UlAction.AR7:
                Assert.Equal(PduType.PData, rig.Receive()?.Type);
                break;
            case UlAction.DT2 or UlAction.AR6:
                Assert.Equal("P-DATA indication", rig.NextIndication());
                break;
            case UlAction.AR1:
                Assert.Equal(PduType.ReleaseRequest, rig.Receive()?.Type);
                break;
            case UlAction.AR2:
                Assert.Equal("A-RELEASE indication", rig.NextIndication());
                break;
            case UlAction.AR3:
                Assert.Equal("A-RELEASE confirmation", rig.NextIndication());
                Assert.True(rig.SeesClose());
                break;
            case UlAction.AR4:
                Assert.Equal(PduType.ReleaseResponse, rig.Receive()?.Type);
                Assert.True(a.ArtimRunning);
                break;
            case UlAction.AR5 or UlAction.AA5:
                Assert.False(a.ArtimRunning);
                Assert.True(a.Closed.Wait(Wait));
                break;
            case UlAction.AR8:
                Assert.Equal("A-RELEASE indication (collision)", rig.NextIndication());
                break;
            case UlAction.AR9:
                Assert.Equal(PduType.ReleaseResponse, rig.Receive()?.Type);
                break;
            case UlAction.AR10:
                Assert.Equal("A-RELEASE confirmation", rig.NextIndication());
                break;
            case UlAction.AA1:
            {
                var abort = rig.Receive();
                Assert.Equal(PduType.Abort, abort?.Type);
                Assert.Equal((byte)AbortSource.ServiceUser, abort!.Value.Body[2]);
                Assert.True(a.ArtimRunning);
                break;
            }
            case UlAction.AA2:
                Assert.False(a.ArtimRunning);
                if (from != UlState.Sta4)
                    Assert.True(rig.SeesClose());
                Assert.True(a.Closed.Wait(Wait));
                break;
            case UlAction.AA3:
                Assert.Equal("A-ABORT indication", rig.NextIndication());
                Assert.True(rig.SeesClose());
                break;
            case UlAction.AA4:
                Assert.Equal("A-P-ABORT indication", rig.NextIndication());
                Assert.True(a.Closed.Wait(Wait));
                break;
            case UlAction.AA6:
                Assert.True(rig.SeesSilence());
                Assert.Equal(UlState.Sta13, a.State);
                break;
            case UlAction.AA7:
                Assert.Equal(PduType.Abort, rig.Receive()?.Type);
                break;
            case UlAction.AA8:
            {
                var abort = rig.Receive();
                Assert.Equal(PduType.Abort, abort?.Type);
                Assert.Equal((byte)AbortSource.ServiceProvider, abort!.Value.Body[2]);
                Assert.Equal("A-P-ABORT indication", rig.NextIndication());
                Assert.True(a.ArtimRunning);
                break;
            }
            default:
                throw new Xunit.Sdk.XunitException($"no observation for {action}");
        }
    }

    [Fact]
    public void In_Sta13_the_ARTIM_timer_closes_a_transport_the_peer_keeps_open()
    {
        using var rig = Enter(UlState.Sta13);
        Assert.True(rig.Association.ArtimRunning);
        rig.Time.Advance(Artim - TimeSpan.FromSeconds(1));
        Assert.True(rig.SeesSilence());
        Assert.Equal(UlState.Sta13, rig.Association.State);
        rig.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal((UlAction.AA2, UlState.Sta1), rig.Transition(UlEvent.Evt18));
        Assert.True(rig.SeesClose());
    }
}
