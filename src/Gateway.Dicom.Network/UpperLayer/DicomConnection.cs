using System.Buffers.Binary;
using System.Globalization;

namespace Gateway.Dicom.Network;

/// <summary>One PDU as read: its type and body (valid until the next read on the same connection).</summary>
internal readonly record struct ReceivedPdu(PduType Type, ReadOnlyMemory<byte> Body);

/// <summary>
/// The transport of one association: PDUs framed over a stream, nothing more (the protocol machine is
/// <see cref="Association"/>). Reads are blocking and bounded: a declared PDU length is checked against the limit for
/// its type before a byte of the body is read, and bodies go into one buffer per connection (grown at most to the
/// negotiated maximum). One reader thread; writes are serialised by the association's state gate.
/// </summary>
internal sealed class DicomConnection(Stream stream, string peer, System.Net.Sockets.Socket? socket = null) : IDisposable
{
    /// <summary>
    /// Writes go through a 64 KiB buffer and reach the socket when a message is complete (or the buffer is full):
    /// small PDUs (commands, responses) share system calls; the 256 KiB batches of P-DATA pass straight through.
    /// </summary>
    private readonly BufferedStream _writer = new(stream, 64 * 1024);
    private bool _buffered;

    /// <summary>The TCP socket underneath (for tests that read its options back).</summary>
    public System.Net.Sockets.Socket? Socket => socket;

    /// <summary>Association PDUs are small; this bounds what a peer can make us buffer before negotiation.</summary>
    public const int MaxAssociatePduLength = 256 * 1024;

    private readonly byte[] _header = new byte[6];
    private byte[] _buffer = new byte[4 * 1024];
    private int _disposed;

    public string Peer => peer;

    /// <summary>The largest P-DATA-TF body we accept (what we announced as our maximum length).</summary>
    public uint MaxReceivePdu { get; set; } = 16 * 1024;

    public bool IsClosed => Volatile.Read(ref _disposed) == 1;

    /// <summary>
    /// Reads the next PDU. End of stream is <see cref="ConnectionClosedException"/> (Evt17); a PDU that cannot be
    /// accepted (unknown type, length beyond the limit) is a <see cref="PduFramingException"/> (Evt19, and the byte
    /// stream can no longer be cut into PDUs).
    /// </summary>
    public ReceivedPdu Read()
    {
        if (!Fill(_header, allowEndAtStart: true))
            throw new ConnectionClosedException($"{peer} closed the connection");
        var type = _header[0];
        var length = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(2));
        if (type is < 1 or > 7)
            throw new PduFramingException($"unknown PDU type 0x{type:X2} from {peer}", AbortReason.UnrecognizedPdu);
        var pduType = (PduType)type;
        var limit = pduType switch
        {
            PduType.PData => MaxReceivePdu == 0 ? uint.MaxValue : MaxReceivePdu,
            PduType.AssociateRequest or PduType.AssociateAccept => (uint)MaxAssociatePduLength,
            _ => 4u,
        };
        if (length > limit || (limit == 4 && length != 4))
        {
            throw new PduFramingException(string.Create(CultureInfo.InvariantCulture,
                $"{pduType} PDU from {peer} declares length {length}, the limit is {limit}"), AbortReason.InvalidPduParameterValue);
        }
        if (length > int.MaxValue - 64)
            throw new PduFramingException($"PDU length {length} is not supported", AbortReason.InvalidPduParameterValue);
        if (_buffer.Length < length)
            _buffer = new byte[Math.Max(length, (uint)Math.Min((long)_buffer.Length * 2, limit))];
        var body = _buffer.AsMemory(0, (int)length);
        if (!Fill(body.Span, allowEndAtStart: false))
            throw new ConnectionClosedException($"{peer} closed the connection in the middle of a {pduType} PDU");
        return new ReceivedPdu(pduType, body);
    }

    /// <summary>Reads and drops bytes until the peer closes (after a PDU that broke the framing: nothing more can be parsed).</summary>
    public void DrainUntilClosed()
    {
        _aheadStart = _aheadEnd = 0;
        try
        {
            while (stream.Read(_buffer, 0, _buffer.Length) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or InvalidOperationException)
        {
        }
    }

    /// <summary>
    /// Bytes read ahead: a response and the PDU header after it usually arrive together, and one receive (and one
    /// TCP_QUICKACK re-arm) per message is cheaper than one per header and one per body. Bodies longer than the
    /// read-ahead are read straight into their destination.
    /// </summary>
    private readonly byte[] _ahead = new byte[4 * 1024];
    private int _aheadStart;
    private int _aheadEnd;

    private bool Fill(Span<byte> destination, bool allowEndAtStart)
    {
        var at = 0;
        while (at < destination.Length)
        {
            if (_aheadEnd > _aheadStart)
            {
                var take = Math.Min(_aheadEnd - _aheadStart, destination.Length - at);
                _ahead.AsSpan(_aheadStart, take).CopyTo(destination[at..]);
                _aheadStart += take;
                at += take;
                continue;
            }
            var direct = destination.Length - at >= _ahead.Length;
            int n;
            try
            {
                n = direct ? stream.Read(destination[at..]) : stream.Read(_ahead);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
            {
                throw new ConnectionClosedException($"connection to {peer} broke: {e.Message}", e);
            }
            if (n == 0)
            {
                if (at == 0 && allowEndAtStart)
                    return false;
                throw new ConnectionClosedException($"{peer} closed the connection after {at} of {destination.Length} bytes");
            }
            if (direct)
            {
                at += n;
            }
            else
            {
                _aheadStart = 0;
                _aheadEnd = n;
            }
        }
        return true;
    }

    /// <summary>Writes a PDU (or a batch of them); <paramref name="flush"/> sends what is buffered now. Blocking.</summary>
    public void Send(ReadOnlySpan<byte> pdu, bool flush)
    {
        try
        {
            if (flush && !_buffered)
            {
                // Nothing waits in the write buffer: straight to the stream (and the buffer is never allocated for
                // an association that only ever sends whole PDUs: an abort, a rejection).
                stream.Write(pdu);
                return;
            }
            _writer.Write(pdu);
            _buffered = !flush;
            if (flush)
                _writer.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or InvalidOperationException)
        {
            throw new ConnectionClosedException($"connection to {peer} broke while sending: {e.Message}", e);
        }
    }

    /// <summary>Closes the transport connection (what is still buffered is dropped if the peer is gone).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        // Every PDU that must leave is flushed when it is sent; the write buffer is not flushed again here (a peer
        // that stopped reading would hold the close for the send timeout).
        // Shut the socket down first: on Linux, closing a blocking socket does not wake a thread blocked in recv on
        // it — the reader would wait for the peer forever. shutdown() does wake it (with end of stream).
        try
        {
            socket?.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // not connected any more
        }
        try
        {
            stream.Dispose();
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>The transport connection closed (Evt17).</summary>
public sealed class ConnectionClosedException(string message, Exception? inner = null) : DicomNetworkException(message, inner);

/// <summary>A PDU header that cannot be accepted (Evt19): unknown type or a length beyond the limit; the stream is no longer framed.</summary>
internal sealed class PduFramingException(string message, AbortReason reason) : Exception(message)
{
    public AbortReason Reason { get; } = reason;
}
