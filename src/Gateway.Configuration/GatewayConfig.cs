using System.Text.Json;

namespace Gateway.Configuration;

/// <summary>
/// The gateway's one configuration file (default /etc/gateway/gateway.json). Every key is documented in the README;
/// <see cref="ConfigValidator"/> lists all problems at once, each naming its key.
/// </summary>
public sealed record GatewayConfig
{
    public BoxConfig Box { get; init; } = new();
    public ServiceConfig Service { get; init; } = new();
    public SpoolConfig Spool { get; init; } = new();
    public LocalScpConfig? LocalScp { get; init; }
    public IReadOnlyList<DestinationConfig> Destinations { get; init; } = [];
    public DeviceConfig? Device { get; init; }
    public MqttConfig? Mqtt { get; init; }
    public WebConfig Web { get; init; } = new();
    /// <summary>The box's own /metrics (issue #21); none or not enabled: not served.</summary>
    public MetricsConfig? Metrics { get; init; }
    /// <summary>An optional I²C front panel display (hardware/README.md, "Front panel"); none: no display.</summary>
    public Gateway.Hardware.Display.DisplayConfig? Display { get; init; }
    /// <summary>Patient and study for the next acquisitions until the technician (web page) or the worklist says otherwise: DICOM keywords → values.</summary>
    public JsonElement? Exam { get; init; }
    /// <summary>The RIS's Modality Worklist (issue #17); none: no worklist, the exam is entered by hand.</summary>
    public WorklistConfig? Worklist { get; init; }
    /// <summary>The MPPS SCP the exams are reported to (issue #17); none: no MPPS (the exam still goes into the images).</summary>
    public MppsConfig? Mpps { get; init; }

    /// <summary>A section as the file holds it (to tell whether it changed).</summary>
    public static string ToJson<T>(T section) => JsonSerializer.Serialize(section, Gateway.Shared.StrictJson.Options);
}

public sealed record BoxConfig
{
    /// <summary>Names this box in telemetry and logs (letters, digits, '-', '_').</summary>
    public string Id { get; init; } = "gateway";
    /// <summary>UID root for created objects; "2.25" (UUID-derived) by default.</summary>
    public string UidRoot { get; init; } = "2.25";
}

public sealed record ServiceConfig
{
    /// <summary>
    /// The systemd watchdog is fed only while every forwarder worker showed a sign of life this recently. Every
    /// network wait is bounded by its timeout (60 s at most by default), so a longer silence means a wedged worker.
    /// </summary>
    public double WatchdogStallSeconds { get; init; } = 180;
}

public sealed record SpoolConfig
{
    public string Path { get; init; } = "/var/lib/gateway/spool";
    public long QuotaBytes { get; init; }
    public long MinFreeBytes { get; init; } = 256L << 20;
    public double KeepDeliveredDays { get; init; }
    /// <summary>
    /// "auto" (default): on ext4 with a journal a batch's renames are made durable by one fsync of the last file renamed
    /// (the journal keeps them in order); elsewhere, and with "always", by an fsync of each directory (issue #22).
    /// </summary>
    public string DirectoryFsync { get; init; } = "auto";
}

public sealed record LocalScpConfig
{
    public string AeTitle { get; init; } = "GATEWAY";
    public int Port { get; init; } = 11112;
    public string Bind { get; init; } = "0.0.0.0";
    public IReadOnlyList<string>? AllowedCallingAeTitles { get; init; }
    /// <summary>Storage Commitment SCP for the modalities that send here (issue #18); absent: N-ACTION is refused (0122).</summary>
    public ScpCommitmentConfig? Commitment { get; init; }
}

/// <summary>
/// The gateway as Storage Commitment SCP (PS3.4 Annex J, Push Model) for modalities sending to `localScp`: what
/// "committed" means, where each modality takes its reports on a new association, and the limits.
/// </summary>
public sealed record ScpCommitmentConfig
{
    /// <summary>"delivered" (default: every destination took responsibility for it) or "spooled" (durable in our spool).</summary>
    public string AnswerWhen { get; init; } = "delivered";
    /// <summary>An instance not committed this long after the request is reported failed (60 … 604800).</summary>
    public int MaxWaitSeconds { get; init; } = 86400;
    /// <summary>Attempts to deliver a report before it is given up (1 … 100).</summary>
    public int ReportAttempts { get; init; } = 10;
    public double RetryMinSeconds { get; init; } = 10;
    public double RetryMaxSeconds { get; init; } = 600;
    /// <summary>How long the outcome of a received object is kept after its spool entry went (1 … 90 days).</summary>
    public double KeepOutcomesDays { get; init; } = 7;
    /// <summary>The modalities that may ask, with the address each takes reports on a new association at.</summary>
    public IReadOnlyList<ModalityConfig> Modalities { get; init; } = [];
}

/// <summary>A modality that sends to `localScp`: its AE title, and where it listens for storage commitment reports.</summary>
public sealed record ModalityConfig
{
    public string AeTitle { get; init; } = "";
    public string Host { get; init; } = "";
    public int Port { get; init; }
    public TlsConfig? Tls { get; init; }
}

public sealed record TlsConfig
{
    public string? CaFile { get; init; }
    public string? CertificateFile { get; init; }
    public string? KeyFile { get; init; }
}

public sealed record RouteConfig
{
    public IReadOnlyList<string> SopClasses { get; init; } = [];
    public IReadOnlyList<string> Modalities { get; init; } = [];
    public IReadOnlyList<string> Sources { get; init; } = [];
}

public sealed record DestinationConfig
{
    public string Name { get; init; } = "";
    public string AeTitle { get; init; } = "";
    public string Host { get; init; } = "";
    public int Port { get; init; }
    public string CallingAeTitle { get; init; } = "GATEWAY";
    public TlsConfig? Tls { get; init; }
    public RouteConfig Route { get; init; } = new();
    public int Associations { get; init; } = 1;
    public double RetryMinSeconds { get; init; } = 5;
    public double RetryMaxSeconds { get; init; } = 600;
    /// <summary>Storage Commitment (issue #18): absent — an object is forgotten once the destination stored it.</summary>
    public CommitmentConfig? Commitment { get; init; }
    /// <summary>
    /// Issue #19: the transfer syntaxes proposed after the stored one, most preferred first (explicit, implicit, rle,
    /// jpeg-lossless, jpeg-ls, jpeg-ls-near, jpeg-baseline); the forwarder transcodes to the first the destination
    /// accepted when it did not accept the stored one. Absent: explicit, implicit.
    /// </summary>
    public IReadOnlyList<string>? TransferSyntaxes { get; init; }
    /// <summary>Whether a lossy syntax (jpeg-baseline; jpeg-ls-near with jpegLsNear above 0) may be listed and made on the way.</summary>
    public bool AllowLossy { get; init; }
    /// <summary>JPEG baseline quality of a transcode to jpeg-baseline (1 … 100).</summary>
    public int JpegQuality { get; init; } = 90;
    /// <summary>JPEG-LS NEAR of a transcode to jpeg-ls-near (0 … 255; 0 is lossless).</summary>
    public int JpegLsNear { get; init; } = 2;
}

/// <summary>
/// Storage Commitment towards a destination (PS3.4 Annex J, Push Model): an object stays in the spool until the
/// archive reports it committed — on the requesting association, or on a new one to `localScp`.
/// </summary>
public sealed record CommitmentConfig
{
    /// <summary>How long to wait for a report before asking again (10 … 86400).</summary>
    public int TimeoutSeconds { get; init; } = 600;
    /// <summary>Requests without a report before the object is sent again (1 … 100).</summary>
    public int MaxRequests { get; init; } = 3;
    /// <summary>Sends of an object after which a failed commitment makes it a dead letter (1 … 100).</summary>
    public int MaxSends { get; init; } = 4;
    /// <summary>How long the requesting association stays open for a report on it (0 … 300).</summary>
    public int SameAssociationSeconds { get; init; } = 10;
    /// <summary>Instances per request (1 … 10000).</summary>
    public int BatchLimit { get; init; } = 500;
    /// <summary>The AE title the archive reports from on a new association (default: the destination's aeTitle).</summary>
    public string? ReportAeTitle { get; init; }
}

public sealed record DeviceConfig
{
    /// <summary>A device profile (hardware/profiles/*.json; installed under /etc/gateway/profiles).</summary>
    public string Profile { get; init; } = "";
    /// <summary>Overrides the profile's serial.device (this box's port or udev symlink).</summary>
    public string? SerialPort { get; init; }
    /// <summary>Overrides the profile's watchFolder.path.</summary>
    public string? WatchFolder { get; init; }
    /// <summary>false: ignore the profile's GPIO section (a box without the wiring).</summary>
    public bool Gpio { get; init; } = true;
    /// <summary>Overrides the profile's serial.baud (the device was set to another rate).</summary>
    public int? Baud { get; init; }
    /// <summary>Overrides the profile's gpio.chip.</summary>
    public int? GpioChip { get; init; }
    /// <summary>This box's wiring: line numbers by input name (e.g. "footswitch") or output ("ready", "busy", "error").</summary>
    public IReadOnlyDictionary<string, int>? GpioLines { get; init; }
}

/// <summary>Health telemetry to an MQTT broker (topics gateway/&lt;box.id&gt;/status, health, events).</summary>
public sealed record MqttConfig
{
    public string Host { get; init; } = "";
    public int Port { get; init; } = 1883;
    public string? ClientId { get; init; }
    public string? Username { get; init; }
    /// <summary>Never logged, never published; keep the file readable by root and the gateway only.</summary>
    public string? Password { get; init; }
    public TlsConfig? Tls { get; init; }
    public double HealthIntervalSeconds { get; init; } = 30;
    public string TopicPrefix { get; init; } = "gateway";
}

/// <summary>The technician's web page (issue #8).</summary>
public sealed record WebConfig
{
    public bool Enabled { get; init; } = true;
    /// <summary>Where the page listens once the admin password is set.</summary>
    public string Bind { get; init; } = "0.0.0.0";
    /// <summary>Until the admin password is set the page listens only here (the setup code must not be guessable from the ward).</summary>
    public string BindBeforeSetup { get; init; } = "127.0.0.1";
    /// <summary>HTTPS port (a self-signed certificate is made on first start unless a hospital certificate is given).</summary>
    public int Port { get; init; } = 8443;
    /// <summary>Plain HTTP port that only redirects to HTTPS; 0: none.</summary>
    public int HttpRedirectPort { get; init; } = 8080;
    /// <summary>PEM certificate and key from the hospital's CA; none: the self-signed one.</summary>
    public string? CertificateFile { get; init; }
    public string? KeyFile { get; init; }
    /// <summary>Users, password hashes, the setup code and the self-signed certificate live here.</summary>
    public string StateDirectory { get; init; } = "/var/lib/gateway/web";
    /// <summary>A session unused this long is ended.</summary>
    public int IdleMinutes { get; init; } = 15;
    /// <summary>Where the device page finds profiles to offer.</summary>
    public string ProfilesDirectory { get; init; } = "/etc/gateway/profiles";
}
