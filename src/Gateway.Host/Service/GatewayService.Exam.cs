using System.Globalization;
using Gateway.Acquisition.Exams;
using Gateway.Acquisition.Worklist;
using Gateway.Configuration;
using Gateway.Dicom;
using Gateway.Dicom.Iod;
using Gateway.Dicom.Network;
using Gateway.Telemetry;

namespace Gateway.Host.Service;

/// <summary>
/// The exam part (issue #17): the durable exam (<see cref="ExamWorkflow"/>, loaded with the spool, before the
/// forwarder), the MPPS sender (supervised like the forwarder: every failure logged with its cause — 3023 — and the
/// loop started again after a back-off; an SCP that is away is ridden out by the sender itself, 8021) and the exam's
/// idle time-out (the device profile's output.examIdleSeconds). A change of the `mpps` section restarts the sender.
/// </summary>
internal sealed partial class GatewayService
{
    private ExamWorkflow _workflow = null!;
    private MppsSender? _mppsSender;
    private CancellationTokenSource _examStop = new();
    private Task _sendingMpps = Task.CompletedTask;
    private Task _examIdle = Task.CompletedTask;

    /// <summary>The exam workflow (tests drive it as the page does, through <see cref="IGatewayControl"/>).</summary>
    public ExamWorkflow Workflow => _workflow;

    /// <summary>In OpenSpool, right after the spool's recovery and before the forwarder may deliver anything.</summary>
    private void OpenExam()
    {
        _workflow = new ExamWorkflow(new ExamFile(Path.Combine(_config.Spool.Path, ExamFile.FileName)), new MppsQueue(_config.Spool.Path), _exam,
            new DicomUidGenerator(_config.Box.UidRoot), loggers.CreateLogger("gateway.exam"));
        ConfigureWorkflow(_config);
        _workflow.InSpool = _spool.ContainsSopInstance;
        _workflow.Release = id => _spool.Release(id);
        _workflow.Load(_spool.ContainsSopInstance, _config.Exam is null ? null : ExamOf(_config));
    }

    private void ConfigureWorkflow(GatewayConfig config)
    {
        _workflow.MppsEnabled = config.Mpps is not null;
        var modality = "OT";
        if (config.Device is { } device)
        {
            try
            {
                modality = IodInfo.Find(ConfigValidator.LoadProfile(device).Output.Iod)?.Modality ?? "OT";
            }
            catch (Gateway.Hardware.Profiles.ProfileException)
            {
                // The device part reports its profile's problems.
            }
        }
        _workflow.Station = new MppsDatasets.Station(config.Mpps?.CallingAeTitle ?? "GATEWAY", config.Box.Id, modality);
    }

    private void StartExam()
    {
        _examStop = new CancellationTokenSource();
        _examIdle = Supervisor.RunAsync("exam idle time-out", EndIdleExamsAsync, _log, _examStop.Token);
        if (_config.Mpps is not { } m)
            return;
        var timeout = TimeSpan.FromSeconds(m.TimeoutSeconds);
        var client = new DicomClientOptions
        {
            Host = m.Host,
            Port = m.Port,
            CalledAE = m.AeTitle,
            CallingAE = m.CallingAeTitle,
            Tls = m.Tls is { CaFile: { } ca } tls ? new DicomTlsOptions { CaFile = ca, CertificateFile = tls.CertificateFile, KeyFile = tls.KeyFile } : null,
            ConnectTimeout = timeout < TimeSpan.FromSeconds(10) ? timeout : TimeSpan.FromSeconds(10),
            AssociationTimeout = timeout,
            DimseTimeout = timeout,
        };
        _mppsSender = new MppsSender(_workflow.Mpps, client, TimeSpan.FromSeconds(m.RetryMinSeconds), TimeSpan.FromSeconds(m.RetryMaxSeconds), loggers.CreateLogger("gateway.mpps"));
        _sendingMpps = Supervisor.RunAsync("mpps", _mppsSender.RunAsync, _log, _examStop.Token);
    }

    private async Task StopExamAsync()
    {
        var stop = _examStop;
        await stop.CancelAsync().ConfigureAwait(false);
        await _sendingMpps.ConfigureAwait(false);
        await _examIdle.ConfigureAwait(false);
        stop.Dispose();
        _examStop = new CancellationTokenSource();
        _mppsSender?.Dispose();
        _mppsSender = null;
    }

    /// <summary>For the reload: the `mpps` section (and what the station is called) applies at once.</summary>
    private async Task<bool> ReloadExamAsync(GatewayConfig old, GatewayConfig next)
    {
        ConfigureWorkflow(next);
        if (GatewayConfig.ToJson(old.Exam) != GatewayConfig.ToJson(next.Exam))
            _workflow.ConfigurationChanged(next.Exam is null ? null : ExamOf(next), DrainDevice);
        if (GatewayConfig.ToJson(old.Mpps) == GatewayConfig.ToJson(next.Mpps))
            return false;
        await StopExamAsync().ConfigureAwait(false);
        StartExam();
        return true;
    }

    /// <summary>The profile's examIdleSeconds: an exam without a new image that long ends (MPPS COMPLETED).</summary>
    private async Task EndIdleExamsAsync(CancellationToken ct)
    {
        using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await tick.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            var idle = _device?.Profile.Output.ExamIdleSeconds ?? 0;
            if (idle <= 0 || _workflow.LastImage is not { } last || !_workflow.Current.InProgress)
                continue;
            if (DateTimeOffset.UtcNow - last >= TimeSpan.FromSeconds(idle))
                _ = _workflow.End($"no image for {idle.ToString(CultureInfo.InvariantCulture)} s", DrainDevice);
        }
    }

    /// <summary>Writes the device's open series (a multi-frame object joins its exam) and waits for an object being stored.</summary>
    private void DrainDevice() => _device?.Session.EndSeries("exam ended");

    private MppsHealth? MppsHealthNow()
    {
        if (_config.Mpps is null || _workflow is null)
            return null;
        var messages = _workflow.Mpps.Messages;
        var pending = messages.Where(m => m.State == MppsState.Pending).ToList();
        return new MppsHealth(pending.Count, messages.Count(m => m.State == MppsState.Failed), messages.Count(m => m.State == MppsState.Sent),
            pending.Count == 0 ? null : (long)(DateTimeOffset.UtcNow - pending.Min(m => m.Created)).TotalSeconds);
    }

    // ---- IGatewayControl: the scheduled workflow (the page) ------------------------------------------------------

    public Gateway.Web.WorklistView Worklist()
    {
        var current = CurrentWorklist;
        var rows = current?.Items.Select(Row).ToList() ?? [];
        return new Gateway.Web.WorklistView(_config.Worklist is not null, rows, current?.FetchedAt, current?.StaleBecause);
    }

    public async Task<Gateway.Web.WorklistView> RefreshWorklistAsync(CancellationToken ct)
    {
        if (_worklist is { } source)
            await source.RefreshAsync(save: true, ct).ConfigureAwait(false);
        return Worklist();
    }

    private static Gateway.Web.WorklistRow Row(WorklistItem i) => new(
        WorklistStepKey.Of(i), i.PatientName, i.PatientId,
        i.PatientBirthDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), i.PatientSex, i.AccessionNumber,
        i.RequestedProcedureDescription ?? i.RequestedProcedureId, i.StepDescription, i.Modality,
        i.StepStartDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), i.StepStartTime?.ToString("HH:mm", CultureInfo.InvariantCulture), i.Problems);

    public Gateway.Web.ExamView CurrentExam()
    {
        var r = _workflow.Current;
        var a = r.Attributes;
        var request = a.Find(DicomTags.RequestAttributesSequence) is DicomSequence { Items.Count: > 0 } sq ? sq.Items[0] : null;
        var procedure = request?.TryGetString(DicomTags.RequestedProcedureDescription) is { Length: > 0 } d ? d
            : request?.TryGetString(DicomTags.RequestedProcedureID) is { Length: > 0 } id ? id
            : a.TryGetString(DicomTags.StudyDescription) is { Length: > 0 } s ? s : null;
        string? Text(DicomTag tag) => a.TryGetString(tag) is { Length: > 0 } v ? v : null;
        return new Gateway.Web.ExamView(r.Source, r.StepKey, Text(DicomTags.PatientName), Text(DicomTags.PatientID), Text(DicomTags.AccessionNumber), procedure,
            r.InProgress ? "in progress" : "selected", r.CommittedInstances.Count(), r.Started, MppsText(r));
    }

    /// <summary>Where the MPPS messages are, in the technician's words (null: no MPPS SCP configured).</summary>
    private string? MppsText(ExamRecord r)
    {
        if (_config.Mpps is null)
            return null;
        var messages = _workflow.Mpps.Messages;
        static string Of(MppsMessage m) => m.State switch
        {
            MppsState.Sent => $"{m.Status} sent",
            MppsState.Failed => $"{m.Status} refused: {m.LastError}",
            _ => m.Attempts == 0 ? $"{m.Status} waiting to be sent" : $"{m.Status} waiting ({m.Attempts} attempt(s); {m.LastError})",
        };
        var own = messages.Where(m => m.Exam == r.Number).Select(Of).ToList();
        var text = own.Count > 0 ? string.Join("; ", own) : r.InProgress ? "IN PROGRESS is sent with the first image" : "sent when the first image is acquired";
        var older = messages.Where(m => m.Exam < r.Number && m.State != MppsState.Sent).ToList();
        if (older.Count > 0)
            text += $"; earlier exams: {older.Count(m => m.State == MppsState.Pending)} waiting, {older.Count(m => m.State == MppsState.Failed)} refused";
        return text;
    }

    public string? SelectStep(string key)
    {
        if (_config.Worklist is null)
            return "no worklist is configured";
        var step = CurrentWorklist?.Items.FirstOrDefault(i => WorklistStepKey.Of(i) == key);
        if (step is null)
            return "this step is not in the worklist (refresh the list)";
        // A multi-frame series being collected belongs to the exam it was begun in: written first (and then that exam
        // is in progress, so the new selection is refused until it is ended). An exam in progress refuses at once.
        if (!_workflow.Current.InProgress)
            DrainDevice();
        return _workflow.Select(step, key);
    }

    public string? SetExam(DicomDataset exam)
    {
        if (!_workflow.Current.InProgress)
            DrainDevice();
        return _workflow.SetManual(exam);
    }

    public string? EndExam() => _workflow.End("ended by the technician", DrainDevice);

    public string? CancelExam(string reasonCode) => _workflow.Cancel(reasonCode, DrainDevice);

    public IReadOnlyList<Gateway.Web.DiscontinuationReason> DiscontinuationReasons =>
        [.. Gateway.Acquisition.Exams.DiscontinuationReasons.All.Select(r => new Gateway.Web.DiscontinuationReason(r.Code, r.Meaning))];
}
