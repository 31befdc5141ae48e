using Gateway.Acquisition.Commitment;
using Gateway.Dicom;
using Gateway.Dicom.Network;
using Gateway.Telemetry;

namespace Gateway.Host.Service;

/// <summary>
/// The Storage Commitment SCP for modalities (issue #18, `localScp.commitment`): the durable queue of their requests is
/// read at start (with the spool's recovery, before the SCP listens), N-ACTION is performed by the SCP, and the reports
/// go out from a supervised loop that runs while the SCP does.
/// </summary>
internal sealed partial class GatewayService
{
    private ModalityCommitment? _scpCommitment;
    private CancellationTokenSource _scpCommitmentStop = new();
    private Task _scpCommitting = Task.CompletedTask;

    private void OpenScpCommitment(IReadOnlyList<string> outcomeProblems)
    {
        if (_config.LocalScp is not { Commitment: { } c } local)
            return;
        var queue = new CommitmentRequestQueue(_config.Spool.Path);
        var problems = queue.Load();
        var policy = new ModalityCommitmentPolicy
        {
            AnswerWhen = c.AnswerWhen == "spooled" ? CommitWhen.Spooled : CommitWhen.Delivered,
            MaxWait = TimeSpan.FromSeconds(c.MaxWaitSeconds),
            ReportAttempts = c.ReportAttempts,
            RetryMin = TimeSpan.FromSeconds(c.RetryMinSeconds),
            RetryMax = TimeSpan.FromSeconds(c.RetryMaxSeconds),
            Modalities = c.Modalities.ToDictionary(m => m.AeTitle, m => new DicomClientOptions
            {
                Host = m.Host,
                Port = m.Port,
                CalledAE = m.AeTitle,
                CallingAE = local.AeTitle,
                Tls = m.Tls is { CaFile: { } ca } tls ? new DicomTlsOptions { CaFile = ca, CertificateFile = tls.CertificateFile, KeyFile = tls.KeyFile } : null,
            }, StringComparer.Ordinal),
        };
        var commitment = new ModalityCommitment(_spool, queue, policy, logger: loggers.CreateLogger("gateway.scp-commitment"));
        commitment.SayUnusable([.. outcomeProblems.Select(p => "outcomes: " + p), .. problems.Select(p => "commitment-requests: " + p)]);
        commitment.Happened += (kind, detail) => _telemetry?.Publish(new TelemetryEvent(
            kind == "reported" ? TelemetryEvent.CommitmentReported : TelemetryEvent.CommitmentReportGivenUp, detail));
        _scpCommitment = commitment;
    }

    /// <summary>The SCP's handlers, with N-ACTION of Storage Commitment when the SCP side is on (and its report loop started).</summary>
    private DimseHandlers WithScpCommitment(DimseHandlers handlers)
    {
        if (_scpCommitment is not { } commitment)
            return handlers;
        _scpCommitmentStop = new CancellationTokenSource();
        _scpCommitting = Supervisor.RunAsync("storage commitment SCP", commitment.RunAsync, _log, _scpCommitmentStop.Token, _down);
        return handlers.On(CommandField.NActionRequest, DicomUids.StorageCommitmentPushModel, commitment.OnRequest);
    }

    private async Task StopScpCommitmentAsync()
    {
        await _scpCommitmentStop.CancelAsync().ConfigureAwait(false);
        await _scpCommitting.ConfigureAwait(false);
        _scpCommitmentStop.Dispose();
        _scpCommitment?.Dispose();
    }

    private ModalityCommitmentHealth? ScpCommitmentHealthNow()
    {
        if (_scpCommitment is not { } c)
            return null;
        var pending = c.Queue.Pending;
        return new ModalityCommitmentHealth(pending.Count, pending.Count == 0 ? null : (long)(DateTimeOffset.UtcNow - pending.Min(r => r.Received)).TotalSeconds);
    }
}
