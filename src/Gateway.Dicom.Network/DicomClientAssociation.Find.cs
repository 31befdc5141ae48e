using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Gateway.Dicom.Network;

/// <summary>C-FIND SCU (PS3.4 Annex C and K, PS3.7 §9.1.2): a query, its matches as they come, C-CANCEL.</summary>
public sealed partial class DicomClientAssociation
{
    /// <summary>
    /// Sends a C-FIND-RQ with <paramref name="identifier"/> and yields every response: each pending one with its match,
    /// then the final one (success, FE00 cancel, or a refusal/failure status). Stopping the enumeration early, or
    /// cancelling <paramref name="ct"/>, sends C-CANCEL-RQ and reads on to the final response, so the association can
    /// be used again. A refused or failed query is a final response, not an exception; a broken association is.
    /// </summary>
    public async IAsyncEnumerable<DicomFindResponse> FindAsync(string sopClassUid, DicomDataset identifier, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var contextId = NContext(sopClassUid);
        await _operation.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        var id = _service.NextMessageId();
        var finished = false;
        var cancelled = false;
        DimseOperation? operation = null;
        try
        {
            operation = _service.Begin(id, CommandField.CFindRequest, multipleResponses: true);
            _inMessage = true;
            var syntax = DicomTransferSyntax.FromUid(_service.Contexts[contextId].TransferSyntax);
            _service.Send(contextId, DimseCommand.FindRequest(id, sopClassUid), s => DimseService.WriteDataSet(s, identifier, syntax), ct: CancellationToken.None);
            _service.Sent(operation);
            while (true)
            {
                if (ct.IsCancellationRequested && !cancelled)
                {
                    cancelled = true;
                    _service.Send(contextId, DimseCommand.CancelRequest(id), null, ct: CancellationToken.None);
                }
                DimseResponse message;
                try
                {
                    message = await operation.Responses.ReadAsync(cancelled ? CancellationToken.None : ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested && !cancelled)
                {
                    continue; // the caller cancelled while we waited: send C-CANCEL, then read to the end
                }
                catch (ChannelClosedException e) when (e.InnerException is DicomNetworkException inner)
                {
                    throw inner;
                }
                Expect(message, CommandField.CFindRequest);
                var response = new DicomFindResponse(message.Status, message.DataSet);
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
            if (!finished && operation is not null && State == UlState.Sta6)
                await CancelAndDrainAsync(contextId, id, operation, cancelled).ConfigureAwait(false);
            _operation.Release();
        }
    }

    /// <summary>The caller left the enumeration early: C-CANCEL-RQ, then every response up to the final one is read and dropped.</summary>
    private async Task CancelAndDrainAsync(byte contextId, ushort id, DimseOperation operation, bool cancelSent)
    {
        try
        {
            if (!cancelSent)
                _service.Send(contextId, DimseCommand.CancelRequest(id), null);
            await foreach (var _ in operation.Responses.ReadAllAsync().ConfigureAwait(false))
            {
            }
            _inMessage = false;
        }
        catch (Exception e) when (e is DicomNetworkException or ChannelClosedException or IOException or InvalidOperationException)
        {
            // The association is gone (aborted for a time-out or by the peer): nothing more to cancel.
        }
    }
}
