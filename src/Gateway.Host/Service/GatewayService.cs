using System.Net;
using Gateway.Acquisition.Forwarding;
using Gateway.Acquisition.Sessions;
using Gateway.Dicom;
using Gateway.Dicom.Iod;
using Gateway.Dicom.Network;
using Gateway.Hardware.Serial;
using Gateway.Configuration;
using Gateway.Spool;
using Gateway.Telemetry;
using Gateway.Web;
using Microsoft.Extensions.Logging;

namespace Gateway.Host.Service;

/// <summary>
/// The daemon's body (`gateway run`, and `gateway demo` on embedded defaults): recovers the spool, runs the forwarder,
/// the local storage SCP, the device, the worklist refresh and the MQTT telemetry, tells systemd when it is ready and alive, and applies
/// changes of the configuration file to destinations, MQTT, the worklist and the exam without a restart (other sections are
/// reported as needing one). An object received by the SCP or acquired from the device is acknowledged only once it
/// is durable in the spool.
/// </summary>
internal sealed partial class GatewayService(string configPath, GatewayConfig config, ILoggerFactory loggers, TextWriter stdout, DeviceSeams? seams = null) : IDisposable
{
    private static readonly TimeSpan ConfigPoll = TimeSpan.FromSeconds(2);
    private readonly ILogger _log = loggers.CreateLogger("gateway");
    private readonly DeliveryStats _stats = new();
    // The running configuration is the monitor's (swapped whole by a reload, read without a lock: one complete
    // configuration for every reader); this is only its short name inside the service.
    private GatewayConfig _config => Options.CurrentValue;
    private DurableSpool _spool = null!;
    private Forwarder _forwarder = null!;
    private CancellationTokenSource _forwarderStop = new();
    private Task _forwarding = Task.CompletedTask;
    // Storage Commitment (issue #18): the reports' applier over the running destinations (reports on a new association
    // reach it through the SCP), and one requester per destination with commitment, run beside the forwarder.
    private volatile CommitmentReports? _commitment;
    private List<CommitmentRequester> _requesters = [];
    private TelemetryPublisher? _telemetry;
    private CancellationTokenSource _telemetryStop = new();
    private Task _publishing = Task.CompletedTask;
    private DeviceRuntime? _device;
    private CancellationTokenSource _deviceStop = new();
    private Task _acquiring = Task.CompletedTask;
    private LazyGatewayWeb? _web;
    private readonly SemaphoreSlim _reload = new(1, 1);
    private readonly DownParts _down = new();
    private readonly ExamContext _exam = new();
    private HealthCollector _health = null!;

    private long _acquired;
    private Dictionary<string, string?> _frameKeysAtStart = [];

    /// <summary>The device at work, if any.</summary>
    public DeviceRuntime? Device => _device;

    /// <summary>Objects acquired from the device since start, across device restarts (the device is gone after stop).</summary>
    public long Acquired => Interlocked.Read(ref _acquired);

    /// <summary>The running configuration, for the host and anyone who wants its changes (issue #15).</summary>
    public GatewayConfigMonitor Options { get; } = new(config, [new GatewayConfigValidation()]);

    /// <summary>The configuration file the service runs from and watches.</summary>
    public string ConfigPath => configPath;

    /// <summary>What the process exits with once the host stopped: 0, 75 (restart asked by the page), or 1 (a fatal error).</summary>
    public int ExitCode => _fatal ? Cli.Failed : _restart ? RestartExitCode : Cli.Ok;

    /// <summary>Raised when the service cannot go on (the host then stops; the process exits 1).</summary>
    public event Action? FatalError;

    private volatile bool _fatal;
    private SpoolLock? _spoolLock;
    private SpoolControlServer? _control;
    private DicomServer? _scp;
    private CancellationTokenSource _supervision = new();
    private Task _supervising = Task.CompletedTask;
    private Task _watching = Task.CompletedTask;

    /// <summary>
    /// The parts of the daemon in start order, for the Generic Host (<see cref="GatewayHost"/>): each a hosted service
    /// that starts one subsystem and stops it. All of them have started before READY=1; they stop in reverse order.
    /// </summary>
    public IReadOnlyList<ServicePart> Parts(Microsoft.Extensions.Hosting.Systemd.ISystemdNotifier systemd)
    {
        var log = _log;
        return
        [
            new("spool", ct => Task.Run(OpenSpool, ct), CloseSpoolAsync, log),
            new("forwarder", _ =>
            {
                StartForwarder(afterStart: true);
                if (_config.Destinations.Count == 0)
                    HostLog.NoDestination(_log);
                return Task.CompletedTask;
            }, StopForwarderAsync, log),
            new("storage SCP", _ =>
            {
                _scp = StartScp();
                return Task.CompletedTask;
            }, async () =>
            {
                HostLog.Stopping(_log);
                if (_scp is not null)
                    await _scp.DisposeAsync().ConfigureAwait(false);
                await StopScpCommitmentAsync().ConfigureAwait(false);
            }, log),
            new("device", _ =>
            {
                StartDevice();
                return Task.CompletedTask;
            }, StopDeviceAsync, log),
            new("telemetry", _ =>
            {
                StartTelemetry();
                return Task.CompletedTask;
            }, StopTelemetryAsync, log),
            new("metrics", _ => StartMetricsAsync(), StopMetricsAsync, log),
            new("worklist", _ =>
            {
                StartWorklist();
                return Task.CompletedTask;
            }, StopWorklistAsync, log),
            new("exam and MPPS", _ =>
            {
                StartExam();
                return Task.CompletedTask;
            }, StopExamAsync, log),
            new("web page", _ => StartWebAsync(), async () =>
            {
                if (_web is not null)
                    await _web.DisposeAsync().ConfigureAwait(false);
            }, log),
            new("front panel", _ =>
            {
                _frontPanel = Gateway.Hardware.Display.FrontPanel.Open(_config.Display, loggers.CreateLogger("gateway.display"));
                if (_frontPanel is not null)
                {
                    _panelStop = new CancellationTokenSource();
                    // Restarted like the others, but never a reason to starve the watchdog: the panel only shows (issue #15).
                    _showing = Supervisor.RunAsync("front panel", ShowPanelAsync, _log, _panelStop.Token);
                }
                return Task.CompletedTask;
            }, async () =>
            {
                await _panelStop.CancelAsync().ConfigureAwait(false);
                await _showing.ConfigureAwait(false);
                _frontPanel?.Dispose(); // leaves STOPPED on the display
            }, log),
            new("watchdog and configuration watch", _ =>
            {
                Announce();
                _supervision = new CancellationTokenSource();
                _supervising = SuperviseAsync(systemd, _supervision.Token);
                _watching = WatchConfigAsync(_supervision.Token);
                return Task.CompletedTask;
            }, async () =>
            {
                await _supervision.CancelAsync().ConfigureAwait(false);
                await _supervising.ConfigureAwait(false);
                await _watching.ConfigureAwait(false);
                stdout.WriteLine(_restart ? "gateway stopped for a restart" : "gateway stopped");
                stdout.Flush();
            }, log),
        ];
    }

    private Gateway.Hardware.Display.IFrontPanel? _frontPanel;
    private CancellationTokenSource _panelStop = new();
    private Task _showing = Task.CompletedTask;

    /// <summary>
    /// What the optional front panel shows, once a second: box name, address, state (error when the device is in
    /// error or a destination has dead letters; acquiring while the device is busy; sending while objects wait),
    /// spool depth and the last problem — never patient data. The panel writes only what changed.
    /// </summary>
    private async Task ShowPanelAsync(CancellationToken ct)
    {
        using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
        do
        {
            var h = _health.Collect();
            var dead = h.Destinations.FirstOrDefault(d => d.DeadLetters > 0);
            var state = _device?.Panel == Gateway.Hardware.Gpio.PanelState.Error || dead is not null ? Gateway.Hardware.Display.FrontPanelState.Error
                : _device?.Panel == Gateway.Hardware.Gpio.PanelState.Busy ? Gateway.Hardware.Display.FrontPanelState.Acquiring
                : h.Destinations.Any(d => d.Pending > 0) ? Gateway.Hardware.Display.FrontPanelState.Sending
                : Gateway.Hardware.Display.FrontPanelState.Ready;
            _frontPanel!.Show(new Gateway.Hardware.Display.PanelStatus(_config.Box.Id, Gateway.Hardware.Display.FrontPanel.LocalAddress(), state, h.Spool.Entries,
                h.Device?.Problem ?? (dead is null ? null : $"{dead.Name}: {dead.DeadLetters} dead letter(s)")));
        }
        while (await tick.WaitForNextTickAsync(ct).ConfigureAwait(false));
    }

    /// <summary>Takes the spool's lock, recovers it, sweeps what was never acknowledged, opens the control socket.</summary>
    private void OpenSpool()
    {
        // Only the lock's holder recovers or changes the spool (issue #13 item 6); a second service is refused at once.
        _spoolLock = SpoolLock.TryAcquire(_config.Spool.Path)
            ?? throw new SpoolInUseException($"spool {_config.Spool.Path} is in use by another running gateway (its lock {SpoolLock.PathOf(_config.Spool.Path)} is held)");
        _spool = new DurableSpool(new SpoolOptions
        {
            Directory = _config.Spool.Path,
            QuotaBytes = _config.Spool.QuotaBytes,
            MinFreeBytes = _config.Spool.MinFreeBytes,
            KeepDelivered = TimeSpan.FromDays(_config.Spool.KeepDeliveredDays),
            // Issue #18: what became of objects a modality may ask us to commit outlives their entries.
            RecordOutcomesOf = _config.LocalScp?.Commitment is null ? null : e => e.Source.StartsWith("scp:", StringComparison.Ordinal),
            OutcomeRetention = TimeSpan.FromDays(_config.LocalScp?.Commitment?.KeepOutcomesDays ?? 7),
            AlwaysFsyncDirectories = _config.Spool.DirectoryFsync == "always",
        });
        HostLog.RenameDurability(_log, _config.Spool.Path, _spool.RenameDurability);
        var report = _spool.Recover();
        HostLog.Recovered(_log, _config.Spool.Path, report.Entries, report.TempFilesRemoved, report.OrphansRemoved, report.Quarantined.Count);
        foreach (var q in report.Quarantined)
            HostLog.QuarantinedAtRecovery(_log, q);
        foreach (var c in report.Corrected)
            HostLog.CorrectedAtRecovery(_log, c);
        OpenScpCommitment(report.OutcomeProblems);
        // Read before the forwarder may deliver (and delete) anything: the device's last committed frame (issue #13 item 1).
        _frameKeysAtStart = _spool.EntriesWithSourceKey().Select(e => e.Source).Distinct(StringComparer.Ordinal)
            .ToDictionary(source => source, source => AcquisitionSession.NewestKey(_spool, source), StringComparer.Ordinal);
        WarnUnknownDestinations();
        // The exam's intents are decided by what the recovered spool holds, before anything can leave it (issue #17).
        OpenExam();
        SweepIncoming();
        _control = SpoolControlServer.TryStart(_config.Spool.Path, OnControl, loggers.CreateLogger("gateway.spool"));
        _spool.Changed += OnSpoolEvent;
        _health = new HealthCollector(_config.Box.Id, _spool, () => [.. _config.Destinations.Select(d => d.Name)], _stats, () => _device,
            _config.Spool.Path, TimeProvider.System, MppsHealthNow, ScpCommitmentHealthNow);
    }

    private async Task CloseSpoolAsync()
    {
        if (_control is not null)
            await _control.DisposeAsync().ConfigureAwait(false);
        try
        {
            _spool.Close();
        }
        catch (Exception e)
        {
            HostLog.DeletionsNotDurableAtStop(_log, e.GetType().Name, Gateway.Shared.LogText.Bounded(e.Message));
        }
        _spoolLock?.Dispose();
    }

    /// <summary>The line that says the service is up (tests and the demo wait for "running").</summary>
    private void Announce()
    {
        stdout.WriteLine($"gateway {_config.Box.Id} running: spool {_config.Spool.Path} ({_spool.Count} entries), " +
            $"{_config.Destinations.Count} destination(s){(_scp is null ? "" : $", storage SCP {_config.LocalScp!.AeTitle} on port {_scp.Port}")}" +
            $"{(_device is null ? "" : $", device {_device.Profile.Name}{(_device.Profile.Serial is { } sp ? $" on {sp.Device}" : "")}{(_device.Profile.WatchFolder is { } wf ? $" watching {wf.Path}" : "")}")}" +
            $"{(_config.Mqtt is { } m ? $", MQTT {m.Host}:{m.Port} topics {m.TopicPrefix}/{_config.Box.Id}/#" : "")}" +
            $"{(_web is null ? "" : $", web page https port {_web.Port}")}" +
            $"{(MetricsEndPoint is { } me ? $", metrics http://{me}/metrics" : "")}");
        stdout.Flush();
    }

    /// <summary>
    /// Start: objects the SCP or the device left in spool/incoming before their enqueue (the sender or the device was not
    /// yet told "stored", so it sends them again) and the SCP's half-received parts go; unfinished multi-frame series
    /// stay for <see cref="AcquisitionSession.RecoverCollectedSeries"/>.
    /// </summary>
    private void SweepIncoming()
    {
        var incoming = _spool.IncomingDir;
        if (!Directory.Exists(incoming))
            return;
        var swept = 0;
        foreach (var file in Directory.EnumerateFiles(incoming, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(file);
            if (name.StartsWith("series-", StringComparison.Ordinal) || name == AcquisitionSession.FrameMemoryFile)
                continue;
            File.Delete(file);
            swept++;
        }
        if (swept > 0)
            HostLog.Swept(_log, swept, incoming);
    }

    /// <summary>The configuration's exam section as a data set (empty when there is none).</summary>
    private static DicomDataset ExamOf(GatewayConfig config) =>
        config.Exam is { } exam ? MetadataJson.Parse(exam.GetRawText(), "exam") : new DicomDataset();

    /// <param name="afterStart">True once per process, after the spool's recovery: every object awaiting commitment is asked for again.</param>
    private void StartForwarder(bool afterStart)
    {
        var destinations = _config.Destinations.Select(ToDestination).ToList();
        // A destination that no longer asks for commitment: what awaited it counts as delivered (issue #18 review).
        foreach (var d in destinations.Where(d => d.Commitment is null))
        {
            if (_spool.ForgetCommitments(d.Name) is > 0 and var forgotten)
                HostLog.CommitmentTurnedOff(_log, d.Name, forgotten);
        }
        // Idle workers beat four times per stall threshold (at most every 5 s), so only a wedged one falls silent.
        var stall = TimeSpan.FromSeconds(_config.Service.WatchdogStallSeconds);
        var heartbeat = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, stall.Ticks / 4));
        _forwarder = new Forwarder(_spool, destinations, logger: loggers.CreateLogger("gateway.forwarder"), heartbeat: heartbeat);
        _forwarderStop = new CancellationTokenSource();
        var forwarder = _forwarder;
        var commitment = new CommitmentReports(_spool, destinations, logger: loggers.CreateLogger("gateway.commitment"));
        _requesters = [.. destinations.Where(d => d.Commitment is not null)
            .Select(d => new CommitmentRequester(_spool, d, commitment, afterStart, logger: loggers.CreateLogger("gateway.commitment")))];
        _commitment = commitment;
        var requesters = _requesters;
        var forwarding = Supervisor.RunAsync("forwarder", forwarder.RunAsync, _log, _forwarderStop.Token, _down);
        _forwarding = requesters.Count == 0 ? forwarding : Task.WhenAll([forwarding,
            .. requesters.Select(r => Supervisor.RunAsync("commitment " + r.Destination.Name, r.RunAsync, _log, _forwarderStop.Token, _down))]);
    }

    /// <summary>A commitment report on a new association (the archive calling our SCP): applied if it is from an archive we asked.</summary>
    private ValueTask<DimseReply> OnCommitmentReport(DimseRequest request, CancellationToken ct)
    {
        if (_commitment is not { } reports || reports.ReportingAs(request.CallingAE) is not { Count: > 0 } candidates)
        {
            HostLog.UnexpectedCommitmentReport(_log, Gateway.Shared.LogText.Bounded(request.CallingAE));
            return ValueTask.FromResult(new DimseReply(DicomStatus.ProcessingFailure with { ErrorComment = "no destination with storage commitment reports from this AE title" }));
        }
        return ValueTask.FromResult(reports.Apply(candidates, request));
    }

    private async Task StopForwarderAsync()
    {
        await _forwarderStop.CancelAsync().ConfigureAwait(false);
        await _forwarding.ConfigureAwait(false);
        _forwarderStop.Dispose();
        _forwarder.Dispose();
        foreach (var r in _requesters)
            r.Dispose();
        _requesters = [];
    }

    private DicomServer? StartScp()
    {
        if (_config.LocalScp is not { } local)
            return null;
        return DicomServer.Start(new DicomServerOptions
        {
            AeTitle = local.AeTitle,
            Port = local.Port,
            Address = IPAddress.Parse(local.Bind),
            AllowedCallingAEs = local.AllowedCallingAeTitles?.ToHashSet(StringComparer.Ordinal),
            // An archive reports commitment to the AE title that asked (Orthanc does: its DicomModalities entry is the
            // requester's), which is a destination's callingAeTitle: answered too, as the conformance statement says.
            AlsoCalled = called => _config.Destinations.Any(d => d.Commitment is not null && d.CallingAeTitle == called),
            OutputDirectory = _spool.IncomingDir,
            // The spool makes the received file durable in the same group commit as its entry (issue #22), before the
            // C-STORE response: the SCP's own fsync, rename and directory fsync would only repeat it.
            SyncReceived = false,
            OnStored = (received, _) => ValueTask.FromResult(Enqueue(received)),
            // Storage Commitment reports from the archives we asked, on a new association, and the modalities'
            // requests to us (issue #18).
            Handlers = WithScpCommitment(new DimseHandlers().On(CommandField.NEventReportRequest, DicomUids.StorageCommitmentPushModel, OnCommitmentReport)),
        }, loggers.CreateLogger("gateway.scp"));
    }

    private void StartDevice()
    {
        if (_config.Device is not { } deviceConfig)
            return;
        var profile = ConfigValidator.LoadProfile(deviceConfig);
        var session = new AcquisitionSession(profile, _spool, info => _forwarder.Route(info), _exam, loggers.CreateLogger("gateway.acquisition"),
            new DicomUidGenerator(_config.Box.UidRoot));
        session.Happened += e =>
        {
            // Acquisition's event kinds are telemetry's ("acquired", "acquisition-failed", "series-ended").
            _telemetry?.Publish(new TelemetryEvent(e.Kind, e.Detail));
            if (e.Kind == AcquisitionEvent.Acquired)
                Interlocked.Increment(ref _acquired);
            if (e.Kind == AcquisitionEvent.Acquired && session.LastEntryId is { } id)
                RenderThumbnail(id);
        };
        session.KeyAtStart = _frameKeysAtStart.GetValueOrDefault(session.Source);
        session.Journal = _workflow;
        session.RecoverCollectedSeries();
        var device = new DeviceRuntime(profile, session, loggers, seams);
        device.EndExamRequested += why =>
        {
            // On the GPIO timer's thread: an escaping exception would end the process (review of issue #17).
            try
            {
                _ = _workflow.End(why, DrainDevice);
            }
            catch (Exception e)
            {
                HostLog.EndExamFailed(_log, e.GetType().Name, e.Message, e);
            }
        };
        device.LinkChanged += state =>
        {
            _telemetry?.Publish(new TelemetryEvent(state == LinkState.Connected ? TelemetryEvent.DeviceConnected : TelemetryEvent.DeviceDisconnected,
                state == LinkState.Connected ? profile.Serial!.Device : device.LinkError ?? ""));
            _telemetry?.Nudge();
        };
        if (device.Video is { } video)
        {
            // The grabber lost and found again (issue #20), as the serial link's events say it.
            var wasLost = false;
            video.StateChanged += state =>
            {
                var lost = state == Gateway.Acquisition.Video.VideoState.Disconnected;
                if (lost == wasLost)
                    return;
                wasLost = lost;
                _telemetry?.Publish(new TelemetryEvent(lost ? TelemetryEvent.DeviceDisconnected : TelemetryEvent.DeviceConnected,
                    lost ? video.LastError ?? "" : video.Source.Source));
                _telemetry?.Nudge();
            };
        }
        _device = device;
        _deviceStop = new CancellationTokenSource();
        _acquiring = Supervisor.RunAsync("device", device.RunAsync, _log, _deviceStop.Token, _down);
    }

    private async Task StopDeviceAsync()
    {
        await _deviceStop.CancelAsync().ConfigureAwait(false);
        await _acquiring.ConfigureAwait(false);
        _device?.Dispose();
        _device = null;
        _deviceStop.Dispose();
    }

    private Task StartWebAsync()
    {
        if (!_config.Web.Enabled)
            return Task.CompletedTask;
        try
        {
            // Bound and announced now; ASP.NET Core starts on the first visitor (idle memory, issue #15).
            _web = LazyGatewayWeb.Start(_config.Web, this, loggers);
            _web.SetUp += () => _ = Task.Run(RestartWebAfterSetupAsync);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException
            or System.Security.Cryptography.CryptographicException or InvalidOperationException)
        {
            // The page is for commissioning; acquisition and forwarding must go on without it.
            HostLog.WebFailed(_log, e.Message);
            _web = null;
        }
        return Task.CompletedTask;
    }

    /// <summary>After the first password: the page moves from its setup address (127.0.0.1) to its configured one.</summary>
    private Task RestartWebAfterSetupAsync() =>
        _config.Web.Bind == _config.Web.BindBeforeSetup ? Task.CompletedTask : RestartWebAsync();

    /// <summary>New web settings (address, port, certificate): the page stops and starts again once the current answer is out.</summary>
    private async Task RestartWebAsync()
    {
        await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        if (_web is { } web)
            await web.DisposeAsync().ConfigureAwait(false);
        _web = null;
        await StartWebAsync().ConfigureAwait(false);
    }

    private void StartTelemetry()
    {
        if (_config.Mqtt is not { } m)
            return;
        _telemetry = new TelemetryPublisher(TelemetryOptionsOf(m), _health.Collect, loggers.CreateLogger("gateway.telemetry"));
        _telemetryStop = new CancellationTokenSource();
        _publishing = Supervisor.RunAsync("telemetry", _telemetry.RunAsync, _log, _telemetryStop.Token, _down);
    }

    private TelemetryOptions TelemetryOptionsOf(MqttConfig m) => new()
    {
        BoxId = _config.Box.Id,
        Host = m.Host,
        Port = m.Port,
        ClientId = m.ClientId,
        Username = m.Username,
        Password = m.Password,
        TlsCaFile = m.Tls?.CaFile,
        TlsCertificateFile = m.Tls?.CertificateFile,
        TlsKeyFile = m.Tls?.KeyFile,
        HealthInterval = TimeSpan.FromSeconds(m.HealthIntervalSeconds),
        TopicPrefix = m.TopicPrefix,
    };

    private async Task StopTelemetryAsync()
    {
        await _telemetryStop.CancelAsync().ConfigureAwait(false);
        await _publishing.ConfigureAwait(false);
        _telemetryStop.Dispose();
        _telemetry = null;
    }

    private void OnSpoolEvent(SpoolEvent e)
    {
        _stats.Observe(e, DateTimeOffset.UtcNow);
        if (e.Kind == SpoolEvent.DeletionsNotDurable)
            HostLog.DeletionsNotDurable(_log, Gateway.Shared.LogText.Bounded(e.Detail ?? ""));
        else if (e.Kind == SpoolEvent.Quarantined)
            HostLog.Quarantined(_log, e.EntryId, Gateway.Shared.LogText.Bounded(e.Detail ?? ""));
        else if (e.Kind == SpoolEvent.Unreadable)
            HostLog.Unreadable(_log, e.EntryId, Gateway.Shared.LogText.Bounded(e.Detail ?? ""));
        var kind = e.Kind switch
        {
            SpoolEvent.Sent => TelemetryEvent.Sent,
            SpoolEvent.RetryScheduled => TelemetryEvent.Retrying,
            SpoolEvent.DeadLettered => TelemetryEvent.DeadLettered,
            SpoolEvent.CommitmentFailed => TelemetryEvent.Retrying,
            SpoolEvent.QuotaReached => TelemetryEvent.QuotaReached,
            _ => null,
        };
        if (kind is not null)
            _telemetry?.Publish(new TelemetryEvent(kind, e.Detail ?? e.EntryId, e.Destination));
    }

    /// <summary>Entries waiting only for destinations that are not configured would wait for ever: said at start.</summary>
    private void WarnUnknownDestinations()
    {
        var known = _config.Destinations.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        var (stranded, destinations) = _spool.Stranded(known);
        if (stranded > 0)
            HostLog.StrandedEntries(_log, stranded, string.Join(", ", destinations.Select(Gateway.Shared.LogText.Bounded)));
    }

    /// <summary>A `gateway spool retry|purge` from the command line, done by this process (the lock's holder).</summary>
    private SpoolControlReply OnControl(SpoolControlRequest request)
    {
        if (request.Action.StartsWith("exam-", StringComparison.Ordinal))
            return OnExamControl(request);
        SpoolControlReply reply;
        try
        {
            reply = Commands.SpoolCommand.Apply(_spool, request.Action, request.Id, request.Destination);
            // Refused MPPS messages go back in line with the dead letters (an operator fixed the cause at the RIS).
            if (request.Action == "retry" && request.Id is null && _workflow.Mpps.Retry() is > 0 and var again)
                reply = reply with { Message = $"{reply.Message}; {again} MPPS message(s) put back in line" };
        }
        catch (Exception e)
        {
            reply = new SpoolControlReply(false, $"the spool could not be changed: {e.GetType().Name}: {e.Message}");
        }
        _forwarder.RetryNow();
        HostLog.ControlDone(_log, Gateway.Shared.LogText.Bounded(request.Action), reply.Message);
        return reply;
    }

    /// <summary>
    /// `gateway exam` from a shell: the page's own calls, audit-logged by them (80xx, never patient data). The reply
    /// may name the patient (it goes to the caller's terminal only): the control log line says the action alone.
    /// </summary>
    private SpoolControlReply OnExamControl(SpoolControlRequest request)
    {
        SpoolControlReply reply;
        try
        {
            string? refused;
            reply = request.Action switch
            {
                "exam-show" => new SpoolControlReply(true, Commands.ExamCommand.Describe(CurrentExam())),
                "exam-select" => (refused = SelectStep(request.Id ?? "")) is null
                    ? new SpoolControlReply(true, "selected: " + Commands.ExamCommand.Describe(CurrentExam()))
                    : new SpoolControlReply(false, refused),
                "exam-end" => (refused = EndExam()) is null ? new SpoolControlReply(true, "the exam ended; its MPPS COMPLETED is queued") : new SpoolControlReply(false, refused),
                "exam-cancel" => (refused = CancelExam(request.Id ?? "")) is null ? new SpoolControlReply(true, "the exam was cancelled (or the selection cleared, without images)") : new SpoolControlReply(false, refused),
                _ => new SpoolControlReply(false, $"unknown exam action '{Gateway.Shared.LogText.Bounded(request.Action)}'"),
            };
        }
        catch (Exception e)
        {
            reply = new SpoolControlReply(false, $"the exam could not be changed: {e.GetType().Name}: {e.Message}");
        }
        HostLog.ControlDone(_log, Gateway.Shared.LogText.Bounded(request.Action), reply.Ok ? "done" : "refused");
        return reply;
    }

    /// <summary>Routes a received object and makes it durable in the spool; the SCU hears "success" only after that.</summary>
    private DicomStatus Enqueue(ReceivedObject received)
    {
        try
        {
            var header = DicomFile.Open(received.Path, new DicomReadOptions { StopBefore = new DicomTag(0x0008, 0x0061) });
            var info = new SpoolObjectInfo(received.SopClassUid, received.SopInstanceUid,
                header.Dataset.TryGetString(DicomTags.Modality) ?? "", "scp:" + received.CallingAE);
            var routes = _forwarder.Route(info);
            if (routes.Count == 0)
                return new DicomStatus(0xA700, "no destination takes this object (check the routing of the destinations)");
            // The SCP wrote the object into <spool>/incoming (same file system), hashing it as it went: the spool takes it
            // by rename and makes it durable with its entry; only then does the SCU hear "success".
            _spool.EnqueueByMove(received.Path, info, routes, held: false, sha256: received.Sha256);
            return DicomStatus.Success;
        }
        catch (SpoolFullException e)
        {
            HostLog.Refused(_log, received.SopInstanceUid, e.Message);
            return new DicomStatus(0xA700, e.Message.Length > 64 ? "spool full" : e.Message);
        }
        finally
        {
            // Whatever went wrong (the status says what), the modality was not told "stored": nothing of it stays.
            if (File.Exists(received.Path))
                TryDelete(received.Path);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The next start sweeps spool/incoming.
        }
    }

    private string Status()
    {
        var summary = _spool.Summary();
        var age = summary.OldestUnfinished is { } o ? $", oldest {(int)(DateTimeOffset.UtcNow - o).TotalSeconds} s" : "";
        var device = _device is { Link: { } link } ? $", device {link.ToString().ToLowerInvariant()}" : "";
        return $"{summary.Unfinished} object(s) waiting{age}, {summary.WithDeadLetters} dead letter(s), {_config.Destinations.Count} destination(s){device}";
    }

    /// <summary>
    /// Our watchdog part: feeds the systemd watchdog every half interval while no part is down (one that failed and
    /// waits for its restart, a forwarder worker in its back-off: the failure policy in the README) and every forwarder
    /// worker shows progress (with no destination there is no worker to wedge), and refreshes the STATUS line. A part
    /// that keeps failing or a wedged worker stops the pings, so systemd restarts the service (Restart=on-failure).
    /// SystemdLifetime sends READY and STOPPING.
    /// </summary>
    private async Task SuperviseAsync(Microsoft.Extensions.Hosting.Systemd.ISystemdNotifier systemd, CancellationToken ct)
    {
        var stall = TimeSpan.FromSeconds(_config.Service.WatchdogStallSeconds);
        var ping = WatchdogPingInterval();
        var interval = ping ?? TimeSpan.FromSeconds(10);
        using var timer = new PeriodicTimer(interval < TimeSpan.FromSeconds(10) ? interval : TimeSpan.FromSeconds(10));
        var wedged = false;
        void Notify(string message)
        {
            if (systemd.IsEnabled)
                systemd.Notify(new Microsoft.Extensions.Hosting.Systemd.ServiceState(message));
        }
        Notify("STATUS=" + Status());
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    if (SpoolUnusable() is { } why)
                    {
                        // The failure policy (README): the spool is the one part nothing can work without — no restart
                        // of a part helps, so the process stops with 1 and systemd starts it again (or an operator looks).
                        HostLog.SpoolUnusable(_log, why);
                        _fatal = true;
                        FatalError?.Invoke();
                        return;
                    }
                    // The failure policy (README): a part that failed and waits for its restart is down — no ping until
                    // it runs again. A forwarder worker in its back-off is alive and retrying (a full volume, an
                    // unreadable payload): a restart of the box would not cure it, so the box is fed and STATUS says it.
                    var down = _down.Names.ToList();
                    var failing = _forwarder.Failing;
                    var silent = DateTimeOffset.UtcNow - _forwarder.LastProgress;
                    if (down.Count > 0)
                    {
                        Notify("STATUS=" + $"{string.Join(", ", down)} failed, waiting to be restarted; watchdog not fed".ReplaceLineEndings(" "));
                        continue;
                    }
                    if (silent < stall)
                    {
                        if (ping is not null)
                            Notify("WATCHDOG=1");
                        wedged = false;
                    }
                    else if (!wedged)
                    {
                        wedged = true;
                        HostLog.Wedged(_log, (int)silent.TotalSeconds);
                    }
                    var status = wedged ? $"forwarder silent for {(int)silent.TotalSeconds} s; watchdog not fed"
                        : failing.Count > 0 ? $"forwarder worker for {string.Join(", ", failing)} failing, backing off (event 2005); {Status()}"
                        : Status();
                    Notify("STATUS=" + status.ReplaceLineEndings(" "));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Never a silent end of the watchdog: said, and the next tick tries again (no ping this time).
                    HostLog.SubsystemFailed(_log, e, "watchdog", e.Message, interval.TotalSeconds);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Why the spool cannot be used any more (its folders gone: a volume unmounted, a directory deleted), or null.</summary>
    private string? SpoolUnusable()
    {
        foreach (var dir in new[] { _spool.StateDir, _spool.ObjectsDir, _spool.TempDir, _spool.IncomingDir })
        {
            if (!Directory.Exists(dir))
                return $"{dir} is gone";
        }
        return null;
    }

    /// <summary>Half the watchdog interval systemd asked for (WATCHDOG_USEC, for this process), or null.</summary>
    private static TimeSpan? WatchdogPingInterval()
    {
        if (!long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), out var usec) || usec <= 0)
            return null;
        if (int.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_PID"), out var pid) && pid != Environment.ProcessId)
            return null;
        return TimeSpan.FromMicroseconds(usec / 2.0);
    }

    /// <summary>Looks at the configuration file every 2 s; a valid change to destinations, MQTT or the exam is applied at once.</summary>
    private async Task WatchConfigAsync(CancellationToken ct)
    {
        // The file as it was when the service was made from it, not when the watch starts: a change written during
        // start-up (or in the moment between "running" and this loop) would otherwise be the baseline, never applied.
        var stamp = _stampAtStart;
        using var timer = new PeriodicTimer(ConfigPoll);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                var now = Stamp();
                if (now == stamp)
                    continue;
                stamp = now;
                await ReloadAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private readonly (long, long) _stampAtStart = StampOf(configPath);

    private (long, long) Stamp() => StampOf(configPath);

    private static (long, long) StampOf(string configPath)
    {
        var info = new FileInfo(configPath);
        return info.Exists ? (info.Length, info.LastWriteTimeUtc.Ticks) : (-1, -1);
    }

    private async Task ReloadAsync()
    {
        await _reload.WaitAsync().ConfigureAwait(false);
        try
        {
            await ReloadLockedAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Issue #15 item 2: one unexpected failure must not end live reload for good. Said at once; the next change
            // of the file is looked at as usual (what was applied before the failure stays applied).
            HostLog.ReloadFailed(_log, e, e.GetType().Name, e.Message);
        }
        finally
        {
            _reload.Release();
        }
    }

    private async Task ReloadLockedAsync()
    {
        GatewayConfig next;
        var old = _config;
        IReadOnlyList<string> problems;
        try
        {
            next = ConfigValidator.Read(configPath);
        }
        catch (ConfigException e)
        {
            next = old;
            problems = e.Problems;
            Rejected();
            return;
        }
        // Validated once, as options: a change with problems leaves the running configuration as it is.
        if (!Options.TrySet(next, out problems))
        {
            Rejected();
            return;
        }
        void Rejected()
        {
            HostLog.ConfigRejected(_log, string.Join("; ", problems));
            _telemetry?.Publish(new TelemetryEvent(TelemetryEvent.ConfigRejected, $"{problems.Count} problem(s); the running configuration stays"));
        }
        static string Json<T>(T value) => GatewayConfig.ToJson(value);
        var applied = new List<string>();
        if (Json(old.Destinations) != Json(next.Destinations) || old.Service != next.Service)
        {
            await StopForwarderAsync().ConfigureAwait(false);
            StartForwarder(afterStart: false);
            applied.Add("destinations");
        }
        if (Json(old.Mqtt) != Json(next.Mqtt) || old.Box.Id != next.Box.Id)
        {
            await StopTelemetryAsync().ConfigureAwait(false);
            StartTelemetry();
            applied.Add("mqtt");
        }
        if (Json(old.Exam) != Json(next.Exam))
            applied.Add("exam");
        if (await ReloadExamAsync(old, next).ConfigureAwait(false))
            applied.Add("mpps");
        if (Json(old.Device) != Json(next.Device))
        {
            await StopDeviceAsync().ConfigureAwait(false);
            try
            {
                StartDevice();
                applied.Add("device");
            }
            catch (Gateway.Hardware.Profiles.ProfileException e)
            {
                HostLog.ConfigRejected(_log, e.Message);
            }
        }
        if (await ReloadWorklistAsync(old, next).ConfigureAwait(false))
            applied.Add("worklist");
        var restart = new List<string>();
        if (Json(old.Spool) != Json(next.Spool))
            restart.Add("spool");
        if (Json(old.LocalScp) != Json(next.LocalScp))
            restart.Add("localScp");
        if (Json(old.Web) != Json(next.Web))
        {
            // The page may be serving the very request that saved this: it restarts a moment later, on its own.
            _ = Task.Run(RestartWebAsync);
            applied.Add("web");
        }
        if (old.Box.UidRoot != next.Box.UidRoot)
            restart.Add("box.uidRoot");
        if (Json(old.Metrics) != Json(next.Metrics))
            restart.Add("metrics");
        if (Json(old.Display) != Json(next.Display))
            restart.Add("display");
        if (applied.Count > 0)
        {
            HostLog.ConfigApplied(_log, string.Join(", ", applied));
            _telemetry?.Publish(new TelemetryEvent(TelemetryEvent.ConfigChanged, "applied: " + string.Join(", ", applied)));
        }
        if (restart.Count > 0)
            HostLog.RestartNeeded(_log, string.Join(", ", restart));
    }

    public void Dispose()
    {
        _forwarderStop.Dispose();
        _telemetryStop.Dispose();
        _worklistStop.Dispose();
        _examStop.Dispose();
        _mppsSender?.Dispose();
        _deviceStop.Dispose();
        _device?.Dispose();
        _reload.Dispose();
    }

    private static Destination ToDestination(DestinationConfig d) => new()
    {
        Name = d.Name,
        Client = new DicomClientOptions
        {
            Host = d.Host,
            Port = d.Port,
            CalledAE = d.AeTitle,
            CallingAE = d.CallingAeTitle,
            Tls = d.Tls is { CaFile: { } ca } tls ? new DicomTlsOptions { CaFile = ca, CertificateFile = tls.CertificateFile, KeyFile = tls.KeyFile } : null,
        },
        Route = new RouteFilter { SopClasses = d.Route.SopClasses, Modalities = d.Route.Modalities, Sources = d.Route.Sources },
        Associations = d.Associations,
        Transcoding = d.TransferSyntaxes is null && !d.AllowLossy ? TranscodePolicy.Default : new TranscodePolicy
        {
            Preferences = d.TransferSyntaxes is { } names
                ? [.. names.Select(n => Gateway.Dicom.Codecs.TransferSyntaxNames.TryParse(n, out var s) ? s : throw new InvalidOperationException($"transfer syntax '{n}' passed validation"))]
                : TranscodePolicy.Default.Preferences,
            AllowLossy = d.AllowLossy,
            Codec = Gateway.Dicom.Codecs.CodecOptions.Default with { Quality = d.JpegQuality, NearLossless = d.JpegLsNear },
        },
        RetryMin = TimeSpan.FromSeconds(d.RetryMinSeconds),
        RetryMax = TimeSpan.FromSeconds(d.RetryMaxSeconds),
        Commitment = d.Commitment is { } c ? new CommitmentPolicy
        {
            Timeout = TimeSpan.FromSeconds(c.TimeoutSeconds),
            MaxRequests = c.MaxRequests,
            MaxSends = c.MaxSends,
            SameAssociationWait = TimeSpan.FromSeconds(c.SameAssociationSeconds),
            BatchLimit = c.BatchLimit,
            ReportAeTitle = c.ReportAeTitle,
        } : null,
    };
}
