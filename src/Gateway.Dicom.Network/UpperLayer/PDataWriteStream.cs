namespace Gateway.Dicom.Network;

/// <summary>
/// A write-only stream that cuts what is written into P-DATA-TF PDUs of at most the peer's maximum length, one PDV
/// each (PS3.8 §9.3.5, Annex E.2). PDUs are laid out back to back in one batch buffer (256 KiB or one PDU, whichever
/// is larger) that goes to the socket in one write: a peer with a 16 KiB maximum gets sixteen PDUs per system call,
/// and each payload byte is copied once. The last fragment is flagged by <see cref="CompleteAsync"/>; it always
/// carries the data written last, so a peer never sees an empty last PDV unless the message itself is empty.
/// </summary>
internal sealed class PDataWriteStream : Stream
{
    private const int Headers = 12; // PDU header (6) + PDV item header (6)
    private const int BatchTarget = 256 * 1024;
    private readonly Association _association;
    private readonly byte _contextId;
    private readonly bool _command;
    private readonly byte[] _batch;
    private readonly int _capacity;
    private int _pduStart;  // where the PDU being filled starts in the batch
    private int _filled;    // payload bytes in it
    private readonly CancellationToken _ct;

    /// <param name="buffer">A buffer of at least <see cref="BufferSize"/> bytes for this peer, reused across messages.</param>
    public PDataWriteStream(Association association, byte contextId, bool command, uint peerMaxPdu, byte[] buffer, CancellationToken ct)
    {
        _association = association;
        _contextId = contextId;
        _command = command;
        _ct = ct;
        // The PDV item header counts in the PDU length; the PDU header does not. A buffer smaller than one PDU of the
        // peer's maximum (the one for command sets) makes smaller PDUs, which is allowed.
        _capacity = Math.Min(MaxPdu(peerMaxPdu) - 6, buffer.Length - Headers);
        _batch = buffer;
    }

    /// <summary>A peer maximum of 0 means unlimited (PS3.8 §D.1); we still cut at 256 KiB to bound our buffer.</summary>
    private static int MaxPdu(uint peerMaxPdu) => peerMaxPdu == 0 ? 256 * 1024 : (int)Math.Min(peerMaxPdu, 4u << 20);

    /// <summary>The buffer size a stream needs for a peer's maximum PDU length.</summary>
    public static int BufferSize(uint peerMaxPdu) => Math.Max(BatchTarget, Headers + MaxPdu(peerMaxPdu) - 6);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>Synchronous writes block on the socket (P-DATA requests of <see cref="Association"/>).</summary>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            if (_filled == _capacity)
                ClosePdu(last: false);
            var n = Math.Min(buffer.Length, _capacity - _filled);
            buffer[..n].CopyTo(_batch.AsSpan(_pduStart + Headers + _filled));
            _filled += n;
            buffer = buffer[n..];
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    private readonly List<Memory<byte>> _slots = new(32);

    /// <summary>
    /// Reads a file from <paramref name="offset"/> to its end straight into the payload slots of the PDU batch: one
    /// scatter read (preadv) per batch, so each byte is copied once, from the page cache into the PDU it leaves in.
    /// <paramref name="progress"/> is called after each batch. With <paramref name="hash"/> every byte read is appended to
    /// it as it is read; the last PDU is still in the batch when this returns (<see cref="Complete"/> sends it), so the
    /// caller can check the hash before the message is complete and abort instead.
    /// </summary>
    public void CopyFrom(Microsoft.Win32.SafeHandles.SafeFileHandle file, long offset, Action? progress, System.Security.Cryptography.IncrementalHash? hash = null)
    {
        var left = RandomAccess.GetLength(file) - offset;
        while (left > 0)
        {
            // A full PDU is closed only now that more follows: the last PDV always carries data.
            if (_filled == _capacity)
                ClosePdu(last: false);
            // The rest of the PDU being filled, then every whole PDU the batch still has room for.
            _slots.Clear();
            _slots.Add(_batch.AsMemory(_pduStart + Headers + _filled, _capacity - _filled));
            for (var next = _pduStart + Headers + _capacity; next + Headers + _capacity <= _batch.Length; next += Headers + _capacity)
                _slots.Add(_batch.AsMemory(next + Headers, _capacity));
            var n = RandomAccess.Read(file, _slots, offset);
            if (n == 0)
                throw new IOException($"the file ended {left} bytes early (it shrank while being sent)");
            if (hash is not null)
            {
                var unhashed = n;
                foreach (var slot in _slots)
                {
                    var part = (int)Math.Min(unhashed, slot.Length);
                    hash.AppendData(slot.Span[..part]);
                    unhashed -= part;
                    if (unhashed == 0)
                        break;
                }
            }
            offset += n;
            left -= n;
            var take = (int)Math.Min(n, _capacity - _filled);
            _filled += take;
            n -= take;
            while (n > 0)
            {
                ClosePdu(last: false);
                take = (int)Math.Min(n, _capacity);
                _filled = take;
                n -= take;
            }
            progress?.Invoke();
        }
    }

    /// <summary>Writes the headers of the PDU being filled; sends the batch when another full PDU would not fit.</summary>
    private void ClosePdu(bool last)
    {
        _ct.ThrowIfCancellationRequested();
        PduEncoder.Header(_batch.AsSpan(_pduStart), PduType.PData, (uint)(_filled + 6));
        PduEncoder.PdvHeader(_batch.AsSpan(_pduStart + 6), _filled, _contextId, _command, last);
        _pduStart += Headers + _filled;
        _filled = 0;
        if (!last && _pduStart + Headers + _capacity > _batch.Length)
            SendBatch(flush: false);
    }

    private void SendBatch(bool flush)
    {
        _association.SendPData(_batch.AsMemory(0, _pduStart), flush);
        _pduStart = 0;
        Sent?.Invoke();
    }

    /// <summary>Called after each batch of PDUs written through <see cref="Write(ReadOnlySpan{byte})"/> left (a sign of life for a caller's watchdog).</summary>
    public Action? Sent { get; set; }

    /// <summary>
    /// Closes the message with its last fragment; <paramref name="flush"/> sends it now. Synchronous: a message end
    /// is one write, and an async completion per message costs more than it saves.
    /// </summary>
    public void Complete(bool flush = true)
    {
        ClosePdu(last: true);
        SendBatch(flush);
    }

    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
