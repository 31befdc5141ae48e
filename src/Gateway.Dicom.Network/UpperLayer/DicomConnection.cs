using System.Buffers.Binary;
using System.Globalization;

namespace Gateway.Dicom.Network;

/// <summary>One PDU as read: its type and body (valid until the next read on the same connection).</summary>
internal readonly record struct ReceivedPdu(PduType Type, ReadOnlyMemory<byte> Body);

/// <summary>
/// PDUs over one transport connection, under the PS3.8 state machine. Reads are bounded: a declared PDU length is
/// checked against the limit for its type before a byte of the body is read, and bodies go into one buffer per
/// connection (grown at most to the negotiated maximum). Writes are serialised. Not for concurrent readers.
/// </summary>
internal sealed class DicomConnection(Stream stream, string peer, System.Net.Sockets.Socket? socket = null) : IAsyncDisposable
{
    /// <summary>
    /// Writes go through a 64 KiB buffer and reach the socket when a message is complete (or the buffer is full):
    /// small PDUs (commands, responses) share system calls; the 256 KiB batches of P-DATA pass straight through.
    /// </summary>
    private readonly BufferedStream _writer = new(stream, 64 * 1024);

    /// <summary>The TCP socket underneath (for tests that read its options back).</summary>
    public System.Net.Sockets.Socket? Socket => socket;

    /// <summary>Association PDUs are small; this bounds what a peer can make us buffer before negotiation.</summary>
    public const int MaxAssociatePduLength = 256 * 1024;

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly byte[] _header = new byte[6];
    private byte[] _buffer = new byte[16 * 1024];
    private int _disposed;

    public Stream Stream => stream;
    public string Peer => peer;
    public UlState State { get; private set; } = UlState.Sta1;

    /// <summary>The largest P-DATA-TF body we accept (what we announced as our maximum length).</summary>
    public uint MaxReceivePdu { get; set; } = 16 * 1024;

    /// <summary>Applies an event to the state machine and returns the action the table prescribes.</summary>
    public UlAction Transition(UlEvent evt, bool acceptable = true, bool requestor = true)
    {
        var action = TransitionTable.Lookup(State, evt)
            ?? throw new InvalidOperationException($"{evt} is not defined in {State} (PS3.8 Table 9-10)");
        State = TransitionTable.NextState(action, acceptable, requestor);
        return action;
    }

    /// <summary>
    /// Reads the next PDU. End of stream is <see cref="ConnectionClosedException"/> (Evt17); a PDU that cannot be
    /// accepted (unknown type, length beyond the limit) is a <see cref="DicomProtocolException"/> (Evt19).
    /// </summary>
    public async ValueTask<ReceivedPdu> ReadAsync(CancellationToken ct)
    {
        if (!await FillAsync(_header, allowEndAtStart: true, ct).ConfigureAwait(false))
            throw new ConnectionClosedException($"{peer} closed the connection");
        var type = _header[0];
        var length = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(2));
        if (type is < 1 or > 7)
            throw new DicomProtocolException($"unknown PDU type 0x{type:X2} from {peer}", AbortReason.UnrecognizedPdu);
        var pduType = (PduType)type;
        var limit = pduType switch
        {
            PduType.PData => MaxReceivePdu == 0 ? uint.MaxValue : MaxReceivePdu,
            PduType.AssociateRequest or PduType.AssociateAccept => (uint)MaxAssociatePduLength,
            _ => 4u,
        };
        if (length > limit || (limit == 4 && length != 4))
        {
            throw new DicomProtocolException(string.Create(CultureInfo.InvariantCulture,
                $"{pduType} PDU from {peer} declares length {length}, the limit is {limit}"), AbortReason.InvalidPduParameterValue);
        }
        if (length > int.MaxValue - 64)
            throw new DicomProtocolException($"PDU length {length} is not supported", AbortReason.InvalidPduParameterValue);
        if (_buffer.Length < length)
            _buffer = new byte[Math.Max(length, (uint)Math.Min((long)_buffer.Length * 2, limit))];
        var body = _buffer.AsMemory(0, (int)length);
        if (!await FillAsync(body, allowEndAtStart: false, ct).ConfigureAwait(false))
            throw new ConnectionClosedException($"{peer} closed the connection in the middle of a {pduType} PDU");
        return new ReceivedPdu(pduType, body);
    }

    private async ValueTask<bool> FillAsync(Memory<byte> destination, bool allowEndAtStart, CancellationToken ct)
    {
        var at = 0;
        while (at < destination.Length)
        {
            int n;
            try
            {
                n = await stream.ReadAsync(destination[at..], ct).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new ConnectionClosedException($"connection to {peer} broke: {e.Message}", e);
            }
            if (n == 0)
            {
                if (at == 0 && allowEndAtStart)
                    return false;
                throw new ConnectionClosedException($"{peer} closed the connection after {at} of {destination.Length} bytes");
            }
            at += n;
        }
        return true;
    }

    /// <summary>Sends a PDU now, with anything queued before it (association, release and abort PDUs).</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> pdu, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _writer.WriteAsync(pdu, ct).ConfigureAwait(false);
            await _writer.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new ConnectionClosedException($"connection to {peer} broke while sending: {e.Message}", e);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Queues a PDU synchronously (blocking while the socket drains). The bulk copy of a stored object uses this: for
    /// one serial stream, blocking writes beat async ones that complete on another thread.
    /// </summary>
    public void Send(ReadOnlySpan<byte> pdu, bool flush)
    {
        _writeLock.Wait();
        try
        {
            _writer.Write(pdu);
            if (flush)
                _writer.Flush();
        }
        catch (IOException e)
        {
            throw new ConnectionClosedException($"connection to {peer} broke while sending: {e.Message}", e);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends an A-ABORT, best effort: the connection may already be gone.</summary>
    public async ValueTask TrySendAbortAsync(AbortSource source, AbortReason reason)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await SendAsync(PduEncoder.Abort(source, reason), cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DicomNetworkException or IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        try
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or NotSupportedException or ObjectDisposedException)
        {
            // unsent bytes of a broken connection
        }
        try
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
        }
        _writeLock.Dispose();
    }
}

/// <summary>The transport connection closed (Evt17).</summary>
public sealed class ConnectionClosedException(string message, Exception? inner = null) : DicomNetworkException(message, inner);
