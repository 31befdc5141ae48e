using Gateway.Configuration;
using Gateway.Dicom;
using Gateway.Dicom.Imaging;
using Gateway.Dicom.Network;
using Gateway.Spool;
using Gateway.Telemetry;
using Gateway.Web;

namespace Gateway.Host.Service;

/// <summary>What the technician's page may do with the running service (<see cref="IGatewayControl"/>).</summary>
internal sealed partial class GatewayService : IGatewayControl
{
    /// <summary>The exit status that asks systemd for a restart (RestartForceExitStatus=75 in the unit).</summary>
    public const int RestartExitCode = 75;

    private volatile Tuple<string, byte[]>? _lastImage;
    private bool _restart;

    /// <summary>Raised when the page asked for a restart: the caller stops the service, which then exits 75.</summary>
    public event Action? RestartRequested;

    GatewayConfig IGatewayControl.Config => _config;

    public bool MqttConnected => _telemetry?.Connected ?? false;

    public HealthMessage Health() => _health.Collect();

    public async Task<IReadOnlyList<string>> SaveConfigAsync(GatewayConfig config)
    {
        try
        {
            ConfigWriter.Save(configPath, config);
        }
        catch (ConfigException e)
        {
            return e.Problems;
        }
        catch (IOException e)
        {
            return [$"{configPath}: cannot write: {e.Message}"];
        }
        // Applied before the page answers, so what it shows next is what runs (the file watcher's later look finds
        // nothing new) — awaited, not waited for: no request thread blocks on the reload (issue #15 item 2).
        await ReloadAsync().ConfigureAwait(false);
        return [];
    }

    public async Task<(bool Ok, string Message)> EchoAsync(DestinationConfig destination, CancellationToken ct)
    {
        try
        {
            var association = await DicomClient.OpenAsync(ToDestination(destination).Client, PresentationContextPlanner.Plan([]), ct).ConfigureAwait(false);
            await using (association.ConfigureAwait(false))
            {
                var status = await association.EchoAsync(ct).ConfigureAwait(false);
                return status.IsSuccess
                    ? (true, "success: the PACS answered the C-ECHO")
                    : (false, $"the PACS answered the C-ECHO with {status}");
            }
        }
        catch (DicomNetworkException e)
        {
            return (false, e.Message);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or System.Security.Cryptography.CryptographicException)
        {
            return (false, e.Message);
        }
    }

    public Task<(bool Ok, string Message)> TestMqttAsync(MqttConfig mqtt, CancellationToken ct) =>
        TelemetryPublisher.TestConnectAsync(TelemetryOptionsOf(mqtt), ct);

    public IReadOnlyList<SpoolRow> SpoolEntries() =>
        [.. _spool.Entries.OrderByDescending(e => e.Created).Select(e => new SpoolRow(e.Id, e.Created, DicomUid.NameOf(e.SopClassUid), e.Modality, e.Source, e.Size,
            [.. e.Deliveries.Select(d => (d.Key, d.Value.State == DeliveryState.AwaitingCommitment ? Commands.SpoolCommand.StateText(d.Value) : d.Value.State.ToString(), d.Value.Attempts, d.Value.LastError))]))];

    public int Retry(string? id)
    {
        var n = _spool.Retry(id);
        if (id is null)
            n += _workflow.Mpps.Retry();
        _forwarder.RetryNow();
        return n;
    }

    public int PurgeDeadLetters(string? id) => _spool.PurgeDeadLetters(id);

    public (string Id, byte[] Png)? LastImage() => _lastImage is { } image ? (image.Item1, image.Item2) : null;

    public DicomDataset Exam() => _exam.Snapshot();

    public bool RequestCapture() => _device?.RequestCapture() ?? false;

    public Gateway.Web.VideoView? Video()
    {
        if (_device?.Video is not { } v)
            return null;
        var p = _device.Profile.Video!;
        return new Gateway.Web.VideoView(v.Source.Source, $"{v.Source.Width}x{v.Source.Height}", v.Source.Fps, v.State.ToString().ToLowerInvariant(),
            v.Stills, v.Clips, v.RecordingFrames, v.LastError, v.LastStillLatency?.TotalMilliseconds, p.Clip.Mode, p.Still.Iod, p.Clip.Iod);
    }

    public bool ToggleClip()
    {
        if (_device?.Video is not { } v)
            return false;
        v.ToggleClip("page");
        return true;
    }

    public async Task<byte[]?> VideoSnapshotAsync(CancellationToken ct) =>
        _device?.Video is { } v ? await v.SnapshotAsync(ct).ConfigureAwait(false) : null;

    public IReadOnlyList<Gateway.Web.Logging.LogEntry> RecentLogs() => RecentLog.Shared.Entries();

    public void RequestRestart()
    {
        _restart = true;
        RestartRequested?.Invoke();
    }

    /// <summary>A thumbnail of every acquired object, made off the acquisition thread (the object may leave the spool soon).</summary>
    private void RenderThumbnail(string entryId)
    {
        var path = _spool.PayloadPath(entryId);
        _ = Task.Run(() =>
        {
            try
            {
                _lastImage = Tuple.Create(entryId, Thumbnail.Render(path));
            }
            catch (Exception e) when (e is IOException or DicomFormatException or ImageFormatException or DicomValueException)
            {
                // Delivered and gone before we looked, or not an image we can show: the last thumbnail stays.
            }
        });
    }
}
