using System.Net;
using Gateway.Dicom;
using Gateway.Dicom.Iod;
using Gateway.Hardware.Profiles;
using Gateway.Shared;

namespace Gateway.Configuration;

/// <summary>A configuration that cannot be used; <see cref="Problems"/> lists every problem, each naming its key.</summary>
public sealed class ConfigException(string file, IReadOnlyList<string> problems)
    : Exception($"{file}: {problems.Count} problem(s):\n  " + string.Join("\n  ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>Loads and validates the configuration: all problems at once (a technician fixes them in one go).</summary>
public static partial class ConfigValidator
{
    /// <summary>
    /// What the web page's backup carries instead of the MQTT password (issue #14). Only the page's restore replaces it
    /// with the password kept on the box; anywhere else (a file copied into place, a save) it is not a password.
    /// </summary>
    public const string SecretPlaceholder = "(kept on the box)";

    /// <summary>The file read and validated (the commands that only look at a configuration: `gateway spool`).</summary>
    public static GatewayConfig Load(string path) => Checked(Read(path), path);

    /// <summary>
    /// The file read as strict JSON (unknown keys and bad syntax are problems), not yet validated: the service validates
    /// it once, as options (<see cref="GatewayConfigValidation"/>, at start through ValidateOnStart and at every reload).
    /// </summary>
    public static GatewayConfig Read(string path)
    {
        if (!File.Exists(path))
            throw new ConfigException(path, ["the file does not exist"]);
        return Strict(File.ReadAllText(path), path);
    }

    /// <summary>
    /// The text read strictly; with problems, all of them at once: unknown keys and values of the wrong kind, and — when
    /// the keys were the only fault — what <see cref="Validate"/> finds in the rest, so one round of fixes is enough.
    /// </summary>
    private static GatewayConfig Strict(string json, string source)
    {
        var config = StrictJson.Read<GatewayConfig>(json, out List<string> problems);
        if (problems.Count == 0)
            return config!;
        if (config is not null)
            problems.AddRange(Validate(config));
        throw new ConfigException(source, problems);
    }

    /// <summary><paramref name="config"/> itself when it has no problems; otherwise every problem, named after <paramref name="source"/>.</summary>
    public static GatewayConfig Checked(GatewayConfig config, string source) =>
        Validate(config) is { Count: > 0 } problems ? throw new ConfigException(source, problems) : config;

    /// <summary>A configuration from its text (an uploaded backup, a file), validated; every problem at once.</summary>
    public static GatewayConfig Parse(string json, string source) => Parse(json, source, c => c);

    /// <summary>As <see cref="Parse(string, string)"/>, with <paramref name="prepare"/> applied before validation (the page's restore puts the kept secrets back there).</summary>
    public static GatewayConfig Parse(string json, string source, Func<GatewayConfig, GatewayConfig> prepare)
    {
        return Checked(prepare(Strict(json, source)), source);
    }

    public static List<string> Validate(GatewayConfig c)
    {
        var p = new List<string>();
        if (c.Box.Id.Length is 0 or > 64 || !c.Box.Id.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_'))
            p.Add($"box.id: '{c.Box.Id}' must be 1 to 64 letters, digits, '-' or '_'");
        if (DicomUid.Validate(c.Box.UidRoot) is { } uidProblem)
            p.Add($"box.uidRoot: {uidProblem}");
        if (c.Service.WatchdogStallSeconds <= 0)
            p.Add($"service.watchdogStallSeconds: {c.Service.WatchdogStallSeconds} must be positive");
        if (string.IsNullOrWhiteSpace(c.Spool.Path))
            p.Add("spool.path: is empty");
        if (c.Spool.QuotaBytes < 0)
            p.Add($"spool.quotaBytes: {c.Spool.QuotaBytes} is negative");
        if (c.Spool.DirectoryFsync is not ("auto" or "always"))
            p.Add($"spool.directoryFsync: '{c.Spool.DirectoryFsync}' is not auto or always");
        if (c.Spool.MinFreeBytes < 0)
            p.Add($"spool.minFreeBytes: {c.Spool.MinFreeBytes} is negative");
        if (c.Spool.KeepDeliveredDays < 0)
            p.Add($"spool.keepDeliveredDays: {c.Spool.KeepDeliveredDays} is negative");
        if (c.LocalScp is { } scp)
        {
            AeTitle(p, "localScp.aeTitle", scp.AeTitle);
            Port(p, "localScp.port", scp.Port);
            if (!IPAddress.TryParse(scp.Bind, out _))
                p.Add($"localScp.bind: '{scp.Bind}' is not an IP address");
            for (var i = 0; i < (scp.AllowedCallingAeTitles?.Count ?? 0); i++)
                AeTitle(p, $"localScp.allowedCallingAeTitles[{i}]", scp.AllowedCallingAeTitles![i]);
            if (scp.Commitment is { } commitment)
                ScpCommitment(p, "localScp.commitment", commitment, scp);
        }
        // No destination is allowed: a box being commissioned starts without one (objects are refused until one is
        // added; the service says so at start).
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < c.Destinations.Count; i++)
        {
            var d = c.Destinations[i];
            var key = $"destinations[{i}]";
            if (d.Name.Length == 0)
                p.Add($"{key}.name: is empty");
            else if (!names.Add(d.Name))
                p.Add($"{key}.name: '{d.Name}' is used by another destination");
            AeTitle(p, $"{key}.aeTitle", d.AeTitle);
            AeTitle(p, $"{key}.callingAeTitle", d.CallingAeTitle);
            if (string.IsNullOrWhiteSpace(d.Host))
                p.Add($"{key}.host: is empty");
            Port(p, $"{key}.port", d.Port);
            if (d.Associations is < 1 or > 16)
                p.Add($"{key}.associations: {d.Associations} is not between 1 and 16");
            if (d.RetryMinSeconds <= 0 || d.RetryMaxSeconds < d.RetryMinSeconds)
                p.Add($"{key}.retryMinSeconds/retryMaxSeconds: need 0 < min ≤ max, got {d.RetryMinSeconds} and {d.RetryMaxSeconds}");
            else if (d.RetryMaxSeconds > 86400)
                p.Add($"{key}.retryMaxSeconds: {d.RetryMaxSeconds} is more than a day (86400); the spool treats a later next attempt as corrupt");
            Tls(p, $"{key}.tls", d.Tls);
            if (d.Commitment is { } commitment)
                Commitment(p, $"{key}.commitment", commitment, d.AeTitle, c);
            TransferSyntaxes(p, key, d);
        }
        if (c.Device is { } device)
        {
            if (device.Profile.Length == 0)
                p.Add("device.profile: is empty (a file of hardware/profiles)");
            else
            {
                try
                {
                    LoadProfile(device);
                }
                catch (ProfileException e)
                {
                    p.AddRange(e.Problems.Select(problem => $"device.profile ({device.Profile}): {problem}"));
                }
            }
        }
        if (c.Mqtt is { } mqtt)
        {
            if (string.IsNullOrWhiteSpace(mqtt.Host))
                p.Add("mqtt.host: is empty");
            Port(p, "mqtt.port", mqtt.Port);
            if (mqtt.HealthIntervalSeconds is < 1 or > 3600)
                p.Add($"mqtt.healthIntervalSeconds: {mqtt.HealthIntervalSeconds} is not between 1 and 3600");
            if (mqtt.Password is not null && mqtt.Username is null)
                p.Add("mqtt.password: a password needs mqtt.username");
            if (mqtt.Password == SecretPlaceholder)
                p.Add($"mqtt.password: \"{SecretPlaceholder}\" is what a backup from the web page holds instead of the password, not the password itself: write the broker's password here (or restore the backup on the page's System page, which keeps the password in use)");
            if (mqtt.TopicPrefix.Length == 0 || mqtt.TopicPrefix.IndexOfAny(['+', '#']) >= 0 || mqtt.TopicPrefix.EndsWith('/'))
                p.Add($"mqtt.topicPrefix: '{mqtt.TopicPrefix}' must be a topic without wildcards or a trailing '/'");
            if (mqtt.ClientId is { Length: 0 or > 23 })
                p.Add($"mqtt.clientId: '{mqtt.ClientId}' must be 1 to 23 characters");
            Tls(p, "mqtt.tls", mqtt.Tls);
        }
        var web = c.Web;
        if (web.Enabled)
        {
            if (!IPAddress.TryParse(web.Bind, out _))
                p.Add($"web.bind: '{web.Bind}' is not an IP address");
            if (!IPAddress.TryParse(web.BindBeforeSetup, out _))
                p.Add($"web.bindBeforeSetup: '{web.BindBeforeSetup}' is not an IP address");
            Port(p, "web.port", web.Port);
            if (web.HttpRedirectPort != 0)
                Port(p, "web.httpRedirectPort", web.HttpRedirectPort);
            if (web.HttpRedirectPort == web.Port)
                p.Add($"web.httpRedirectPort: {web.HttpRedirectPort} is also web.port");
            if ((web.CertificateFile is null) != (web.KeyFile is null))
                p.Add("web: certificateFile and keyFile go together");
            else if (web.CertificateFile is { } cert && !File.Exists(cert))
                p.Add($"web.certificateFile: {cert} does not exist");
            else if (web.KeyFile is { } key && !File.Exists(key))
                p.Add($"web.keyFile: {key} does not exist");
            if (string.IsNullOrWhiteSpace(web.StateDirectory))
                p.Add("web.stateDirectory: is empty");
            if (web.IdleMinutes is < 1 or > 1440)
                p.Add($"web.idleMinutes: {web.IdleMinutes} is not between 1 and 1440");
        }
        ValidateMetrics(c, p);
        if (c.Display is { } display)
            p.AddRange(display.Validate("display"));
        if (c.Exam is { } exam)
        {
            try
            {
                MetadataJson.Parse(exam.GetRawText(), "exam");
            }
            catch (DicomValueException e)
            {
                p.Add(e.Message);
            }
        }
        if (c.Worklist is { } worklist)
            Worklist(p, worklist);
        if (c.Mpps is { } mpps)
            Mpps(p, mpps);
        return p;
    }

    /// <summary>The configured profile with this box's overrides (serial port, watch folder, GPIO off), validated.</summary>
    public static DeviceProfile LoadProfile(DeviceConfig device)
    {
        var profile = ProfileLoader.Load(device.Profile);
        var serial = profile.Serial is { } s
            ? s with { Device = device.SerialPort ?? s.Device, Baud = device.Baud ?? s.Baud }
            : null;
        var problems = new List<string>();
        profile = profile with
        {
            Serial = serial,
            WatchFolder = device.WatchFolder is { } folder && profile.WatchFolder is { } watch ? watch with { Path = folder } : profile.WatchFolder,
            Gpio = device.Gpio && profile.Gpio is { } gpio ? Wire(gpio, device, problems) : null,
        };
        problems.AddRange(ProfileLoader.Validate(profile));
        return problems.Count == 0 ? profile : throw new ProfileException(device.Profile, problems);
    }

    /// <summary>The profile's GPIO section with this box's chip and line numbers.</summary>
    private static GpioSettings Wire(GpioSettings gpio, DeviceConfig device, List<string> problems)
    {
        var lines = device.GpioLines ?? new Dictionary<string, int>();
        foreach (var name in lines.Keys)
        {
            if (!gpio.Inputs.Any(i => i.Name == name) && name is not ("ready" or "busy" or "error"))
                problems.Add($"device.gpioLines.{name}: the profile has no input or output of that name (inputs: {string.Join(", ", gpio.Inputs.Select(i => i.Name))}; outputs: ready, busy, error)");
        }
        GpioOutput? Output(string name, GpioOutput? output) =>
            lines.TryGetValue(name, out var line) ? (output ?? new GpioOutput()) with { Line = line } : output;
        return gpio with
        {
            Chip = device.GpioChip ?? gpio.Chip,
            Inputs = [.. gpio.Inputs.Select(i => lines.TryGetValue(i.Name, out var line) ? i with { Line = line } : i)],
            Outputs = new GpioOutputs
            {
                Ready = Output("ready", gpio.Outputs.Ready),
                Busy = Output("busy", gpio.Outputs.Busy),
                Error = Output("error", gpio.Outputs.Error),
            },
        };
    }

    /// <summary>Issue #19: a destination's preference list names known syntaxes once each, and a lossy one only where allowed.</summary>
    private static void TransferSyntaxes(List<string> p, string key, DestinationConfig d)
    {
        if (d.JpegQuality is < 1 or > 100)
            p.Add($"{key}.jpegQuality: {d.JpegQuality} is not between 1 and 100");
        if (d.JpegLsNear is < 0 or > 255)
            p.Add($"{key}.jpegLsNear: {d.JpegLsNear} is not between 0 and 255");
        if (d.TransferSyntaxes is not { } list)
            return;
        if (list.Count == 0)
            p.Add($"{key}.transferSyntaxes: is empty (leave it out for explicit, implicit)");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            var name = list[i];
            if (!Gateway.Dicom.Codecs.TransferSyntaxNames.TryParse(name, out var syntax))
                p.Add($"{key}.transferSyntaxes[{i}]: '{(name is { Length: > 40 } ? name[..40] + "…" : name)}' is not one of {string.Join(", ", Gateway.Dicom.Codecs.TransferSyntaxNames.Names)}");
            else if (!seen.Add(name!))
                p.Add($"{key}.transferSyntaxes[{i}]: '{name}' is listed twice");
            else if (!d.AllowLossy && Gateway.Dicom.Codecs.TransferSyntaxNames.IsLossy(syntax, d.JpegLsNear))
                p.Add($"{key}.transferSyntaxes[{i}]: '{name}' is lossy; set {key}.allowLossy to true to let the forwarder make lossy copies for this destination (new SOP Instance UID, Lossy Image Compression 01)");
        }
    }

    private static void Commitment(List<string> p, string key, CommitmentConfig m, string destinationAe, GatewayConfig c)
    {
        if (m.TimeoutSeconds is < 10 or > 86400)
            p.Add($"{key}.timeoutSeconds: {m.TimeoutSeconds} is not between 10 and 86400");
        if (m.MaxRequests is < 1 or > 100)
            p.Add($"{key}.maxRequests: {m.MaxRequests} is not between 1 and 100");
        if (m.MaxSends is < 1 or > 100)
            p.Add($"{key}.maxSends: {m.MaxSends} is not between 1 and 100");
        if (m.SameAssociationSeconds is < 0 or > 300)
            p.Add($"{key}.sameAssociationSeconds: {m.SameAssociationSeconds} is not between 0 and 300");
        if (m.BatchLimit is < 1 or > 10000)
            p.Add($"{key}.batchLimit: {m.BatchLimit} is not between 1 and 10000");
        if (m.ReportAeTitle is { } report)
            AeTitle(p, $"{key}.reportAeTitle", report);
        // A report on a new association comes to our SCP: the archive must be let in.
        if (c.LocalScp is null)
            p.Add($"{key}: needs localScp — archives report their commitment on a new association to it (without it every object would be sent maxSends times and dead-lettered)");
        var ae = m.ReportAeTitle ?? destinationAe;
        if (c.LocalScp is { AllowedCallingAeTitles: { Count: > 0 } allowed } && !allowed.Contains(ae))
            p.Add($"{key}.reportAeTitle: '{ae}' (the archive's AE title) is not in localScp.allowedCallingAeTitles, so its reports on a new association would be refused");
    }

    private static void ScpCommitment(List<string> p, string key, ScpCommitmentConfig m, LocalScpConfig scp)
    {
        if (m.AnswerWhen is not ("delivered" or "spooled"))
            p.Add($"{key}.answerWhen: '{m.AnswerWhen}' is not 'delivered' or 'spooled'");
        if (m.MaxWaitSeconds is < 60 or > 604800)
            p.Add($"{key}.maxWaitSeconds: {m.MaxWaitSeconds} is not between 60 and 604800");
        if (m.ReportAttempts is < 1 or > 100)
            p.Add($"{key}.reportAttempts: {m.ReportAttempts} is not between 1 and 100");
        if (m.RetryMinSeconds <= 0 || m.RetryMaxSeconds < m.RetryMinSeconds || m.RetryMaxSeconds > 86400)
            p.Add($"{key}.retryMinSeconds/retryMaxSeconds: need 0 < min ≤ max ≤ 86400, got {m.RetryMinSeconds} and {m.RetryMaxSeconds}");
        if (m.KeepOutcomesDays is < 1 or > 90)
            p.Add($"{key}.keepOutcomesDays: {m.KeepOutcomesDays} is not between 1 and 90");
        if (m.Modalities.Count == 0)
            p.Add($"{key}.modalities: is empty — list the modalities that may ask for commitment, with the address each takes its reports at");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < m.Modalities.Count; i++)
        {
            var mod = m.Modalities[i];
            var k = $"{key}.modalities[{i}]";
            AeTitle(p, $"{k}.aeTitle", mod.AeTitle);
            if (!seen.Add(mod.AeTitle))
                p.Add($"{k}.aeTitle: '{mod.AeTitle}' is listed twice");
            if (string.IsNullOrWhiteSpace(mod.Host))
                p.Add($"{k}.host: is empty");
            Port(p, $"{k}.port", mod.Port);
            Tls(p, $"{k}.tls", mod.Tls);
            // Its N-ACTION comes on an association to our SCP: the modality must be let in.
            if (scp.AllowedCallingAeTitles is { Count: > 0 } allowed && !allowed.Contains(mod.AeTitle))
                p.Add($"{k}.aeTitle: '{mod.AeTitle}' is not in localScp.allowedCallingAeTitles, so it could neither send nor ask for commitment");
        }
    }

    private static void Tls(List<string> p, string key, TlsConfig? tls)
    {
        if (tls is null)
            return;
        if (tls.CaFile is null)
            p.Add($"{key}.caFile: is required with TLS");
        else if (!File.Exists(tls.CaFile))
            p.Add($"{key}.caFile: {tls.CaFile} does not exist");
        if ((tls.CertificateFile is null) != (tls.KeyFile is null))
            p.Add($"{key}: certificateFile and keyFile go together");
    }

    private static void AeTitle(List<string> p, string key, string value)
    {
        if (value.Trim().Length == 0 || value.Length > 16 || value.Contains('\\', StringComparison.Ordinal) || value.Any(char.IsControl))
            p.Add($"{key}: '{value}' is not an AE title (1 to 16 characters, no backslash or control characters)");
    }

    private static void Port(List<string> p, string key, int port)
    {
        if (port is < 1 or > 65535)
            p.Add($"{key}: {port} is not a port");
    }
}
