using Gateway.Testing;
using Xunit;

namespace Gateway.Dicom.Network.Tests;

/// <summary>
/// Issue #18, the Storage Commitment SCP's need of the DIMSE layer: a handler keeps the association a request came on
/// (the acceptor's side) and sends N-EVENT-REPORT back on it later, after its response; a released association says so.
/// </summary>
public sealed class RequestBackTests
{
    [Fact]
    public async Task The_acceptor_reports_on_the_requesting_association_after_its_response_and_not_once_it_is_released()
    {
        using var dir = new TempDirectory();
        var kept = new TaskCompletionSource<DimseRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlers = new DimseHandlers().On(CommandField.NActionRequest, DicomUids.StorageCommitmentPushModel, (r, _) =>
        {
            kept.TrySetResult(r);
            Assert.False(r.Responded.IsCompleted); // the handler runs before its response is sent
            return ValueTask.FromResult(DimseReply.Success);
        });
        await using var server = DicomServer.Start(new DicomServerOptions { AeTitle = "SCP", Port = 0, OutputDirectory = dir.Path, Handlers = handlers });
        var reports = new List<(ushort? EventType, string? Transaction)>();
        var reported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clientHandlers = new DimseHandlers().On(CommandField.NEventReportRequest, DicomUids.StorageCommitmentPushModel, (r, _) =>
        {
            lock (reports)
                reports.Add((r.Command.EventTypeId, r.DataSet?.TryGetString(DicomTags.TransactionUID)));
            reported.TrySetResult();
            return ValueTask.FromResult(DimseReply.Success);
        });
        var association = await DicomClient.OpenAsync(new DicomClientOptions { Host = "127.0.0.1", Port = server.Port, CalledAE = "SCP", CallingAE = "MODALITY", Handlers = clientHandlers },
            [new PresentationContextProposal(1, DicomUids.StorageCommitmentPushModel, [DicomUids.ExplicitVRLittleEndian])]);
        var request = new DicomDataset();
        request.Set(DicomTags.TransactionUID, DicomVR.UI, "1.2.3.4");
        Assert.Equal(DicomStatus.Success, (await association.NActionAsync(DicomUids.StorageCommitmentPushModel, DicomUids.StorageCommitmentPushModelInstance, 1, request)).Status);

        var performed = await kept.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await performed.Responded.WaitAsync(TimeSpan.FromSeconds(10));
        var back = performed.Association!;
        Assert.True(back.IsOpen);
        Assert.Equal("MODALITY", back.CallingAE);
        var response = await back.NEventReportAsync(DicomUids.StorageCommitmentPushModel, DicomUids.StorageCommitmentPushModelInstance, 1, request);
        Assert.Equal(DicomStatus.Success, response.Status);
        await reported.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([((ushort?)1, "1.2.3.4")], reports);

        await association.ReleaseAsync();
        await association.DisposeAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (back.IsOpen && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.False(back.IsOpen);
        await Assert.ThrowsAnyAsync<DicomNetworkException>(() => back.NEventReportAsync(DicomUids.StorageCommitmentPushModel, DicomUids.StorageCommitmentPushModelInstance, 1, request));
    }
}
