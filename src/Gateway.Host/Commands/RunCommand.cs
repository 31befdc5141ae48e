using System.Net;
using System.Runtime.InteropServices;
using Gateway.Acquisition.Forwarding;
using Gateway.Acquisition.Sessions;
using Gateway.Dicom.Iod;
using Gateway.Dicom;
using Gateway.Dicom.Network;
using Gateway.Host.Configuration;
using Gateway.Spool;
using Microsoft.Extensions.Logging;

namespace Gateway.Host.Commands;

/// <summary>
/// `gateway run [--config FILE]`: the daemon. Recovers the spool, starts the forwarder and the local storage SCP, and
/// runs until SIGTERM/SIGINT. An object received by the SCP is answered "success" only once it is durable in the
/// spool. (systemd notify, watchdog, telemetry and the web page join this in issues #7 and #8.)
/// </summary>
internal static class RunCommand
{
    public const string DefaultConfig = "/etc/gateway/gateway.json";

    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        var path = args.Option("config") ?? DefaultConfig;
        args.RejectUnknown();
        args.ExpectPositional(0, "no positional arguments");
        GatewayConfig config;
        try
        {
            config = ConfigValidator.Load(path);
        }
        catch (ConfigException e)
        {
            stderr.WriteLine($"gateway run: {e.Message}");
            return Cli.BadInput;
        }
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; })
            .SetMinimumLevel(LogLevel.Information));
        var log = loggers.CreateLogger("gateway");
        try
        {
            return RunAsync(config, loggers, log, stdout).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException or DicomNetworkException)
        {
            // Fatal: say why and exit non-zero so that systemd's Restart=on-failure acts.
            HostLog.Fatal(log, e, e.Message);
            stderr.WriteLine($"gateway run: {e.Message}");
            return Cli.Failed;
        }
    }

    private static async Task<int> RunAsync(GatewayConfig config, ILoggerFactory loggers, ILogger log, TextWriter stdout)
    {
        var spool = new DurableSpool(new SpoolOptions
        {
            Directory = config.Spool.Path,
            QuotaBytes = config.Spool.QuotaBytes,
            MinFreeBytes = config.Spool.MinFreeBytes,
            KeepDelivered = TimeSpan.FromDays(config.Spool.KeepDeliveredDays),
        });
        var report = spool.Recover();
        HostLog.Recovered(log, config.Spool.Path, report.Entries, report.TempFilesRemoved, report.OrphansRemoved, report.Quarantined.Count);
        foreach (var q in report.Quarantined)
            HostLog.QuarantinedAtRecovery(log, q);

        var destinations = config.Destinations.Select(ToDestination).ToList();
        // Idle workers beat four times per stall threshold (at most every 5 s), so only a wedged one falls silent.
        var stall = TimeSpan.FromSeconds(config.Service.WatchdogStallSeconds);
        var heartbeat = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, stall.Ticks / 4));
        var forwarder = new Forwarder(spool, destinations, logger: loggers.CreateLogger("gateway.forwarder"), heartbeat: heartbeat);
        using var stop = new CancellationTokenSource();
        var forwarding = forwarder.RunAsync(stop.Token);

        DicomServer? scp = null;
        if (config.LocalScp is { } local)
        {
            var incoming = spool.IncomingDir;
            scp = DicomServer.Start(new DicomServerOptions
            {
                AeTitle = local.AeTitle,
                Port = local.Port,
                Address = IPAddress.Parse(local.Bind),
                AllowedCallingAEs = local.AllowedCallingAeTitles?.ToHashSet(StringComparer.Ordinal),
                OutputDirectory = incoming,
                OnStored = (received, _) => ValueTask.FromResult(Enqueue(spool, forwarder, received, log)),
            }, loggers.CreateLogger("gateway.scp"));
        }
        DeviceRuntime? device = null;
        var acquiring = Task.CompletedTask;
        if (config.Device is { } deviceConfig)
        {
            var profile = ConfigValidator.LoadProfile(deviceConfig);
            var exam = new ExamContext();
            if (config.Exam is { } examJson)
                exam.Set(MetadataJson.Parse(examJson.GetRawText(), "exam"));
            var session = new AcquisitionSession(profile, spool, forwarder.Route, exam, loggers.CreateLogger("gateway.acquisition"),
                new DicomUidGenerator(config.Box.UidRoot));
            device = new DeviceRuntime(profile, session, loggers);
            acquiring = device.RunAsync(stop.Token);
        }
        stdout.WriteLine($"gateway {config.Box.Id} running: spool {config.Spool.Path} ({spool.Entries.Count} entries), " +
            $"{destinations.Count} destination(s){(scp is null ? "" : $", storage SCP {config.LocalScp!.AeTitle} on port {scp.Port}")}" +
            $"{(device is null ? "" : $", device {device.Profile.Name}{(device.Profile.Serial is { } sp ? $" on {sp.Device}" : "")}{(device.Profile.WatchFolder is { } wf ? $" watching {wf.Path}" : "")}")}");
        stdout.Flush();

        // systemd: READY only now (spool recovered, listeners up); status lines and a watchdog fed only by progress.
        using var systemd = new SystemdNotifier();
        systemd.Status(Status(spool, destinations.Count));
        systemd.Ready();
        using var supervision = new CancellationTokenSource();
        var supervising = SuperviseAsync(systemd, spool, forwarder, destinations.Count, stall, log, supervision.Token);

        using var stopped = new ManualResetEventSlim();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stopped.Set(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stopped.Set(); });
        await Task.Run(stopped.Wait).ConfigureAwait(false);

        systemd.Stopping();
        await supervision.CancelAsync().ConfigureAwait(false);
        await supervising.ConfigureAwait(false);
        HostLog.Stopping(log);
        if (scp is not null)
            await scp.DisposeAsync().ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await acquiring.ConfigureAwait(false);
        device?.Dispose();
        await forwarding.ConfigureAwait(false);
        stdout.WriteLine("gateway stopped");
        return Cli.Ok;
    }

    private static string Status(DurableSpool spool, int destinations)
    {
        var entries = spool.Entries;
        var pending = entries.Count(e => !e.IsFinished);
        var dead = entries.Count(e => e.HasDeadLetters);
        var oldest = entries.Where(e => !e.IsFinished).Select(e => (DateTimeOffset?)e.Created).Min();
        var age = oldest is { } o ? $", oldest {(int)(DateTimeOffset.UtcNow - o).TotalSeconds} s" : "";
        return $"{pending} object(s) waiting{age}, {dead} dead letter(s), {destinations} destination(s)";
    }

    /// <summary>
    /// Feeds the systemd watchdog every half interval while every forwarder worker shows progress, and refreshes the
    /// STATUS line. A wedged worker stops the pings, so systemd restarts the service (Restart=on-failure).
    /// </summary>
    private static async Task SuperviseAsync(SystemdNotifier systemd, DurableSpool spool, Forwarder forwarder, int destinations,
        TimeSpan stall, ILogger log, CancellationToken ct)
    {
        var interval = SystemdNotifier.WatchdogPingInterval() ?? TimeSpan.FromSeconds(10);
        using var timer = new PeriodicTimer(interval < TimeSpan.FromSeconds(10) ? interval : TimeSpan.FromSeconds(10));
        var wedged = false;
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                var silent = DateTimeOffset.UtcNow - forwarder.LastProgress;
                if (silent < stall)
                {
                    if (SystemdNotifier.WatchdogPingInterval() is not null)
                        systemd.Watchdog();
                    wedged = false;
                }
                else if (!wedged)
                {
                    wedged = true;
                    HostLog.Wedged(log, (int)silent.TotalSeconds);
                }
                systemd.Status(wedged ? $"forwarder silent for {(int)silent.TotalSeconds} s; watchdog not fed" : Status(spool, destinations));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Routes a received object and makes it durable in the spool; the SCU hears "success" only after that.</summary>
    private static DicomStatus Enqueue(DurableSpool spool, Forwarder forwarder, ReceivedObject received, ILogger log)
    {
        var header = DicomFile.Open(received.Path, new DicomReadOptions { StopBefore = new DicomTag(0x0008, 0x0061) });
        var info = new SpoolObjectInfo(received.SopClassUid, received.SopInstanceUid,
            header.Dataset.TryGetString(DicomTags.Modality) ?? "", "scp:" + received.CallingAE);
        var routes = forwarder.Route(info);
        if (routes.Count == 0)
        {
            File.Delete(received.Path);
            return new DicomStatus(0xA700, "no destination takes this object (check the routing of the destinations)");
        }
        try
        {
            // The SCP already fsync'd the object into <spool>/incoming (same file system): the spool takes it by rename.
            spool.EnqueueByMove(received.Path, info, routes);
        }
        catch (SpoolFullException e)
        {
            File.Delete(received.Path);
            HostLog.Refused(log, received.SopInstanceUid, e.Message);
            return new DicomStatus(0xA700, e.Message.Length > 64 ? "spool full" : e.Message);
        }
        return DicomStatus.Success;
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
        RetryMin = TimeSpan.FromSeconds(d.RetryMinSeconds),
        RetryMax = TimeSpan.FromSeconds(d.RetryMaxSeconds),
    };
}
