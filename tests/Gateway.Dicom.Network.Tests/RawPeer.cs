using System.Net;
using System.Net.Sockets;

namespace Gateway.Dicom.Network.Tests;

/// <summary>A raw TCP client that speaks whatever bytes a test gives it, to play a hostile or broken peer.</summary>
internal sealed class RawPeer : IDisposable
{
    private readonly Socket _socket = new(SocketType.Stream, ProtocolType.Tcp);

    public RawPeer(int port) => _socket.Connect(IPAddress.Loopback, port);

    public void Send(byte[] bytes) => _socket.Send(bytes);

    public void HalfClose() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Everything the server sends until it closes (or the time is up: then null).</summary>
    public byte[]? ReadUntilClosed(TimeSpan timeout)
    {
        _socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        var all = new List<byte>();
        var buffer = new byte[4096];
        var deadline = DateTime.UtcNow + timeout;
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                var n = _socket.Receive(buffer);
                if (n == 0)
                    return [.. all];
                all.AddRange(buffer.AsSpan(0, n).ToArray());
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return [.. all];
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut || e.SocketErrorCode == SocketError.WouldBlock)
        {
            return null;
        }
        return null;
    }

    public void Dispose() => _socket.Dispose();

    public static byte[] AssociateRequest(string called = "SCP") => PduEncoder.AssociateRequest(new AssociateRequest(called, "HOSTILE",
        [new PresentationContextProposal(1, DicomUids.Verification, [DicomUids.ImplicitVRLittleEndian]),
         new PresentationContextProposal(3, DicomUids.CTImageStorage, [DicomUids.ImplicitVRLittleEndian])],
        new UserInformation { MaxPduLength = 16384, ImplementationClassUid = "1.2.3" }));

    /// <summary>A P-DATA-TF PDU with one PDV.</summary>
    public static byte[] PData(byte context, bool command, bool last, byte[] data)
    {
        var pdu = new byte[12 + data.Length];
        PduEncoder.Header(pdu, PduType.PData, (uint)(6 + data.Length));
        PduEncoder.PdvHeader(pdu.AsSpan(6), data.Length, context, command, last);
        data.CopyTo(pdu, 12);
        return pdu;
    }
}
