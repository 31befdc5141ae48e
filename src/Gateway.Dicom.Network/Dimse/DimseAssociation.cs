namespace Gateway.Dicom.Network;

/// <summary>
/// The association a request came on, as the handler that performed it may keep it: whether it still carries
/// messages, and requests back to the peer on it later — Storage Commitment's N-EVENT-REPORT on the association that
/// carried the N-ACTION (PS3.4 J.3.3: the SCP may report on that association while it is open). Thread-safe; one
/// request at a time (a second one while the first awaits its response is an <see cref="InvalidOperationException"/>).
/// Never call it from a handler (the association's reader thread): the response would never be read.
/// </summary>
public sealed class DimseAssociation
{
    private readonly DimseService _service;
    private int _busy;

    internal DimseAssociation(DimseService service)
    {
        _service = service;
    }

    /// <summary>Whether the association still carries messages (PS3.8 Sta6): not released, aborted or closed.</summary>
    public bool IsOpen => _service.IsEstablished;

    /// <summary>The peer's AE title (the association-requestor's, when the peer opened it).</summary>
    public string CallingAE => _service.Request.CallingAE;

    /// <summary>The peer's address, for logs.</summary>
    public string Peer => _service.Peer;

    /// <summary>
    /// N-EVENT-REPORT (PS3.7 §10.1.1) on this association, on an accepted presentation context of
    /// <paramref name="sopClassUid"/>; returns the peer's response. A closed association, or one without that context,
    /// is a <see cref="DicomNetworkException"/>; so is a peer that answers with another command (then aborted).
    /// </summary>
    public async Task<DimseResponse> NEventReportAsync(string sopClassUid, string sopInstanceUid, ushort eventTypeId, DicomDataset? information, CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _busy, 1) == 1)
            throw new InvalidOperationException("a request to the peer on this association awaits its response already");
        try
        {
            var context = _service.Contexts.Where(c => c.Value.AbstractSyntax == sopClassUid && DicomTransferSyntax.FromUid(c.Value.TransferSyntax).CanWrite)
                .Select(c => c.Key).FirstOrDefault();
            if (context == 0)
                throw new DicomNetworkException($"{_service.Peer}: no accepted presentation context for {DicomUid.NameOf(sopClassUid)} on this association");
            if (!IsOpen)
                throw new DicomNetworkException($"the association with {_service.Peer} is no longer open");
            var id = _service.NextMessageId();
            var request = DimseCommand.Request(CommandField.NEventReportRequest, id, sopClassUid, sopInstanceUid, information is not null, eventTypeId);
            var operation = _service.Begin(id, request.Field, multipleResponses: false);
            try
            {
                var syntax = DicomTransferSyntax.FromUid(_service.Contexts[context].TransferSyntax);
                _service.Send(context, request, information is null ? null : s => DimseService.WriteDataSet(s, information, syntax), ct: ct);
            }
            catch (InvalidOperationException e)
            {
                // released or aborted between the check and the send: the table allows no P-DATA now
                _service.End(operation);
                throw new DicomNetworkException($"the association with {_service.Peer} is no longer open", e);
            }
            catch
            {
                _service.End(operation);
                throw;
            }
            _service.Sent(operation);
            DimseResponse response;
            try
            {
                response = await operation.Response.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _service.End(operation);
                throw;
            }
            if (response.Command.Field != CommandField.NEventReportResponse)
            {
                _service.AbortLocal($"{_service.Peer} answered N-EVENT-REPORT with {response.Command.Field}");
                throw new DicomAbortedException($"{_service.Peer} broke the protocol: expected N-EVENT-REPORT-RSP, got {response.Command}; association aborted");
            }
            return response;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }
}
