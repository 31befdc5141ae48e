using Gateway.Configuration;
using Gateway.Dicom;
using Gateway.Telemetry;

namespace Gateway.Web;

/// <summary>One spool entry as the spool page lists it (no patient data: UIDs, states, reasons).</summary>
public sealed record SpoolRow(string Id, DateTimeOffset Created, string SopClass, string Modality, string Source, long Size,
    IReadOnlyList<(string Destination, string State, int Attempts, string? LastError)> Deliveries);

/// <summary>
/// What the page may do with the running gateway: the service (Gateway.Host) implements it. Every method is
/// thread-safe; none takes a path from the user. Configuration changes go through <see cref="SaveConfigAsync"/>, which
/// validates with the same code as the file at start and writes atomically; the service applies them as it applies
/// an edited file.
/// </summary>
public interface IGatewayControl
{
    GatewayConfig Config { get; }

    /// <summary>
    /// Validates and writes the configuration, and applies it before answering (so the next page shows what runs); the
    /// problems (each naming its key) when refused, nothing written. Never blocks a request thread on the reload.
    /// </summary>
    Task<IReadOnlyList<string>> SaveConfigAsync(GatewayConfig config);

    HealthMessage Health();

    bool MqttConnected { get; }

    /// <summary>A C-ECHO to the destination as configured: the outcome in plain words and whether it succeeded.</summary>
    Task<(bool Ok, string Message)> EchoAsync(DestinationConfig destination, CancellationToken ct);

    /// <summary>Connects to the broker once: the outcome in plain words.</summary>
    Task<(bool Ok, string Message)> TestMqttAsync(MqttConfig mqtt, CancellationToken ct);

    IReadOnlyList<SpoolRow> SpoolEntries();

    int Retry(string? id);

    int PurgeDeadLetters(string? id);

    /// <summary>The newest acquired image as a PNG thumbnail (rendered when it was acquired), with its spool entry id; null before the first.</summary>
    (string Id, byte[] Png)? LastImage();

    DicomDataset Exam();

    /// <summary>
    /// Manual entry (SWF's unscheduled case) for the next exam; null on success, else why it was refused (an exam is in
    /// progress: end or cancel it first).
    /// </summary>
    string? SetExam(DicomDataset exam);

    // Scheduled workflow (issue #17). Every method below is audit-logged by the service (event, never patient data) and
    // returns null on success or the reason it was refused, in the technician's words.

    /// <summary>The worklist as last fetched or kept on disk.</summary>
    WorklistView Worklist();

    /// <summary>Asks the RIS now (the page's "refresh" button); the list after it, stale when the RIS did not answer.</summary>
    Task<WorklistView> RefreshWorklistAsync(CancellationToken ct);

    /// <summary>The exam the next images go to.</summary>
    ExamView CurrentExam();

    /// <summary>Selects the step for the next exam. Refused while an exam is in progress, for an unknown key, or for a step with problems.</summary>
    string? SelectStep(string key);

    /// <summary>Ends the exam in progress: MPPS COMPLETED with the instances acquired. Refused when no image was acquired.</summary>
    string? EndExam();

    /// <summary>Discontinues the exam: MPPS DISCONTINUED with the reason (a code of <see cref="DiscontinuationReasons"/>); without images it only clears the selection.</summary>
    string? CancelExam(string reasonCode);

    /// <summary>The reasons the cancel form offers.</summary>
    IReadOnlyList<DiscontinuationReason> DiscontinuationReasons { get; }

    /// <summary>Asks the device for a frame; false when the device cannot be asked (no request command, link down).</summary>
    bool RequestCapture();

    /// <summary>The device's video grabber, or null when the profile has none (issue #20).</summary>
    VideoView? Video();

    /// <summary>Starts a clip, or stops the one being recorded; false without a grabber.</summary>
    bool ToggleClip();

    /// <summary>The grabber's picture now (JPEG) for the preview, or null (no grabber, grabber lost).</summary>
    Task<byte[]?> VideoSnapshotAsync(CancellationToken ct);

    /// <summary>The newest log entries, newest first (they never hold patient data; see <see cref="Logging.RecentLogBuffer"/>).</summary>
    IReadOnlyList<Logging.LogEntry> RecentLogs();

    /// <summary>Ends the process so that systemd starts it again (exit status 75, RestartForceExitStatus).</summary>
    void RequestRestart();
}
