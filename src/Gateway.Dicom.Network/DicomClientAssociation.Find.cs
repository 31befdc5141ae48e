using System.Runtime.CompilerServices;

namespace Gateway.Dicom.Network;

/// <summary>C-FIND SCU (PS3.4 Annex C and K, PS3.7 §9.1.2): a query, its matches as they come, C-CANCEL.</summary>
public sealed partial class DicomClientAssociation
{
    /// <summary>An identifier in a response is a few kilobytes; this bounds a hostile one.</summary>
    public const int MaxIdentifierBytes = 16 << 20;

    /// <summary>
    /// Sends a C-FIND-RQ with <paramref name="identifier"/> and yields every response: each pending one with its match,
    /// then the final one (success, FE00 cancel, or a refusal/failure status). Stopping the enumeration early, or
    /// cancelling <paramref name="ct"/>, sends C-CANCEL-RQ and reads on to the final response, so the association can
    /// be used again. A refused or failed query is a final response, not an exception; a broken association is.
    /// </summary>
    public async IAsyncEnumerable<DicomFindResponse> FindAsync(string sopClassUid, DicomDataset identifier, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var context = AcceptedContexts.FirstOrDefault(c => c.AbstractSyntax == sopClassUid && DicomTransferSyntax.FromUid(c.TransferSyntax).CanWrite);
        if (context.Id == 0)
            throw new DicomNetworkException($"{_connection.Peer} did not accept {DicomUid.NameOf(sopClassUid)}: {WhyNotAccepted(sopClassUid)}");
        var syntax = DicomTransferSyntax.FromUid(context.TransferSyntax);
        await _operation.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        var id = ++_messageId;
        var finished = false;
        try
        {
            _inMessage = true;
            await SendCommandAsync(context.Id, DimseCommand.FindRequest(id, sopClassUid), flush: false, CancellationToken.None).ConfigureAwait(false);
            var data = new PDataWriteStream(_connection, context.Id, command: false, Accept.User.MaxPduLength, _pduBuffer, CancellationToken.None);
            await using (data.ConfigureAwait(false))
            {
                using (var buffered = new BufferedStream(data, 1 << 16))
                    new DicomWriter(buffered, syntax.IsExplicitVR).WriteDataset(identifier);
                await data.CompleteAsync(flush: true).ConfigureAwait(false);
            }
            var (receiver, sink) = FindReceiver();
            var cancelled = false;
            while (true)
            {
                if (ct.IsCancellationRequested && !cancelled)
                {
                    cancelled = true;
                    await SendCommandAsync(context.Id, DimseCommand.CancelRequest(id), flush: true, CancellationToken.None).ConfigureAwait(false);
                }
                DimseMessage message;
                try
                {
                    message = await ReceiveAsync(receiver, id, CommandField.CFindResponse, cancelled ? CancellationToken.None : ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested && !cancelled)
                {
                    continue; // the caller cancelled while we waited: send C-CANCEL, then read to the end
                }
                var status = message.Command.Status;
                DicomDataset? match = null;
                if (message.Command.HasDataSet)
                {
                    sink.Position = 0;
                    try
                    {
                        match = DicomFile.ReadDataset(sink, syntax);
                    }
                    catch (DicomFormatException e)
                    {
                        throw new DicomNetworkException($"{_connection.Peer} sent a C-FIND identifier that cannot be read: {e.Message}");
                    }
                }
                var response = new DicomFindResponse(status, match);
                if (!response.IsPending)
                {
                    _inMessage = false;
                    finished = true;
                    yield return response;
                    yield break;
                }
                if (!cancelled)
                    yield return response; // a caller that stops here lands in finally: C-CANCEL, read to the end
            }
        }
        finally
        {
            if (!finished && _connection.State == UlState.Sta6)
                await CancelAndDrainAsync(context.Id, id).ConfigureAwait(false);
            _operation.Release();
        }
    }

    /// <summary>The caller left the enumeration early: C-CANCEL-RQ, then every response up to the final one is read and dropped.</summary>
    private async Task CancelAndDrainAsync(byte contextId, ushort id)
    {
        try
        {
            await SendCommandAsync(contextId, DimseCommand.CancelRequest(id), flush: true, CancellationToken.None).ConfigureAwait(false);
            var (receiver, _) = FindReceiver();
            while (true)
            {
                var message = await ReceiveAsync(receiver, id, CommandField.CFindResponse, CancellationToken.None).ConfigureAwait(false);
                if (message.Command.Status.Code is not (0xFF00 or 0xFF01))
                    break;
            }
            _inMessage = false;
        }
        catch (Exception e) when (e is DicomNetworkException or IOException)
        {
            // The association is gone (aborted by ReceiveAsync or the peer): nothing more to cancel.
        }
    }

    /// <summary>A receiver for C-FIND responses: each response's identifier lands, bounded, in the one returned sink.</summary>
    private static (DimseReceiver Receiver, BoundedMemoryStream Sink) FindReceiver()
    {
        var sink = new BoundedMemoryStream(MaxIdentifierBytes);
        return (new DimseReceiver(_ =>
        {
            sink.SetLength(0);
            return ValueTask.FromResult<Stream>(sink);
        }), sink);
    }

    /// <summary>A memory stream that refuses to grow beyond a limit (a hostile identifier is a protocol error, not 2 GB).</summary>
    private sealed class BoundedMemoryStream(int limit) : MemoryStream
    {
        private void Check(int count)
        {
            if (Length + count > limit)
                throw new DicomProtocolException($"a C-FIND identifier longer than {limit} bytes", AbortReason.InvalidPduParameterValue);
        }

        // MemoryStream's array overload is the primitive here: the span overload of a derived MemoryStream goes
        // through Stream.Write(span), which calls back into Write(byte[], …).
        public override void Write(byte[] buffer, int offset, int count)
        {
            Check(count);
            base.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer) => Write(buffer.ToArray(), 0, buffer.Length);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
    }
}
