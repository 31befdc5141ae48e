namespace Gateway.Dicom.Network;

/// <summary>
/// A write-only stream that cuts what is written into P-DATA-TF PDUs of at most the peer's maximum length, one PDV
/// each (PS3.8 §9.3.5, Annex E.2). The last fragment is flagged when <see cref="CompleteAsync"/> is called; it always
/// carries data, so a peer never sees an empty last PDV.
/// </summary>
internal sealed class PDataWriteStream : Stream
{
    private const int Headers = 12; // PDU header (6) + PDV item header (6)
    private readonly DicomConnection _connection;
    private readonly byte _contextId;
    private readonly bool _command;
    private readonly byte[] _pdu;
    private readonly int _capacity;
    private int _filled;
    private readonly CancellationToken _ct;

    /// <param name="buffer">A buffer of at least <see cref="BufferSize"/> bytes for this peer, reused across messages.</param>
    public PDataWriteStream(DicomConnection connection, byte contextId, bool command, uint peerMaxPdu, byte[] buffer, CancellationToken ct)
    {
        _connection = connection;
        _contextId = contextId;
        _command = command;
        _ct = ct;
        _capacity = MaxPdu(peerMaxPdu) - 6; // the PDV item header counts in the PDU length; the PDU header does not
        _pdu = buffer;
    }

    /// <summary>A peer maximum of 0 means unlimited (PS3.8 §D.1); we still cut at 256 KiB to bound our buffer.</summary>
    private static int MaxPdu(uint peerMaxPdu) => peerMaxPdu == 0 ? 256 * 1024 : (int)Math.Min(peerMaxPdu, 4u << 20);

    /// <summary>The buffer size a stream needs for a peer's maximum PDU length.</summary>
    public static int BufferSize(uint peerMaxPdu) => 6 + MaxPdu(peerMaxPdu);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>Synchronous writes block on the socket; see <see cref="DicomConnection.Send(ReadOnlySpan{byte}, bool)"/>.</summary>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            if (_filled == _capacity)
                SendFull();
            var n = Math.Min(buffer.Length, _capacity - _filled);
            buffer[..n].CopyTo(_pdu.AsSpan(Headers + _filled));
            _filled += n;
            buffer = buffer[n..];
        }
    }

    private void SendFull()
    {
        PduEncoder.Header(_pdu, PduType.PData, (uint)(_filled + 6));
        PduEncoder.PdvHeader(_pdu.AsSpan(6), _filled, _contextId, _command, last: false);
        _connection.Send(_pdu.AsSpan(0, Headers + _filled), flush: false);
        _filled = 0;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (buffer.Length > 0)
        {
            if (_filled == _capacity)
                await SendAsync(last: false).ConfigureAwait(false);
            var n = Math.Min(buffer.Length, _capacity - _filled);
            buffer[..n].CopyTo(_pdu.AsMemory(Headers + _filled));
            _filled += n;
            buffer = buffer[n..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>
    /// Queues what is buffered as the last fragment; <paramref name="flush"/> sends the message now. Synchronous: a
    /// message end is one small write, and an async completion per message costs more than it saves.
    /// </summary>
    public ValueTask CompleteAsync(bool flush = true)
    {
        _ct.ThrowIfCancellationRequested();
        PduEncoder.Header(_pdu, PduType.PData, (uint)(_filled + 6));
        PduEncoder.PdvHeader(_pdu.AsSpan(6), _filled, _contextId, _command, last: true);
        _connection.Send(_pdu.AsSpan(0, Headers + _filled), flush);
        _filled = 0;
        return ValueTask.CompletedTask;
    }

    private async ValueTask SendAsync(bool last)
    {
        PduEncoder.Header(_pdu, PduType.PData, (uint)(_filled + 6));
        PduEncoder.PdvHeader(_pdu.AsSpan(6), _filled, _contextId, _command, last);
        await _connection.SendAsync(_pdu.AsMemory(0, Headers + _filled), flush: false, _ct).ConfigureAwait(false);
        _filled = 0;
    }

    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
