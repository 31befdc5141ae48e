using System.Globalization;
using Gateway.Configuration;
using Gateway.Shared;
using Gateway.Web.Logging;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Pages;

/// <summary>
/// Broker, credentials (the password is never shown back), TLS; a real test connect. Every field is judged and keeps
/// what was typed; messages go beside their fields.
/// </summary>
public sealed class MqttModel(IGatewayControl control, WebState state, ILoggerFactory loggers) : PageModel
{
    private readonly Dictionary<string, string> _fieldErrors = new(StringComparer.Ordinal);

    /// <summary>What the form shows: the configuration's values, or what was typed (never the password).</summary>
    public sealed record MqttForm(string Host, string Port, string Username, bool Tls);

    public MqttConfig? Current => control.Config.Mqtt;
    public MqttForm Form { get; private set; } = new("", "1883", "", false);
    public List<string> GeneralProblems { get; } = [];
    public string? Message { get; private set; }
    public bool MessageOk { get; private set; }

    public string? FieldError(string field) => _fieldErrors.GetValueOrDefault(field);

    public void OnGet() => Form = Current is { } m
        ? new MqttForm(m.Host, m.Port.ToString(CultureInfo.InvariantCulture), m.Username ?? "", m.Tls is not null)
        : new MqttForm("", "1883", "", false);

    public async Task OnPostSave(string? host, string? port, string? username, string? password, bool tls, IFormFile? ca)
    {
        var mqtt = Build(host, port, username, password, tls, ca);
        if (_fieldErrors.Count > 0)
            return;
        IReadOnlyList<string> problems = mqtt is null ? [] : ConfigValidator.Validate(control.Config with { Mqtt = mqtt });
        if (problems.Count == 0)
            problems = await control.SaveConfigAsync(control.Config with { Mqtt = mqtt });
        if (problems.Count > 0)
        {
            Sort(problems);
            Message = "Not saved: see the messages beside the fields.";
            return;
        }
        this.Audit(loggers, "MQTT settings saved");
        Message = mqtt is null ? "Telemetry off." : "Saved: the gateway reconnects with these settings.";
        MessageOk = true;
    }

    public async Task OnPostTestAsync(string? host, string? port, string? username, string? password, bool tls, IFormFile? ca, CancellationToken ct)
    {
        var mqtt = Build(host, port, username, password, tls, ca);
        if (_fieldErrors.Count > 0)
            return;
        if (mqtt is null)
        {
            _fieldErrors["host"] = "Give a broker host to test.";
            return;
        }
        // A test sends the password to the broker: who asked which broker is worth a line (issue #14).
        this.Audit(loggers, $"MQTT connection test to {LogText.Quote(mqtt.Host)}:{mqtt.Port} as {LogText.Quote(mqtt.Username ?? "(no user)")}");
        (MessageOk, Message) = await control.TestMqttAsync(mqtt, ct).ConfigureAwait(false);
    }

    private MqttConfig? Build(string? host, string? port, string? username, string? password, bool tls, IFormFile? ca)
    {
        Form = new MqttForm(host ?? "", port ?? "", username ?? "", tls);
        if (string.IsNullOrWhiteSpace(host))
            return null;
        if (!int.TryParse((port ?? "").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
            _fieldErrors["port"] = $"Use a port number from 1 to 65535, usually 1883 or 8883 with TLS (you typed '{port}').";
        var current = Current ?? new MqttConfig();
        var caFile = current.Tls?.CaFile;
        if (ca is { Length: > 0 })
        {
            caFile = Uploads.SavePemCertificate(ca, state.Config.StateDirectory, out var problem);
            if (problem is not null)
                _fieldErrors["ca"] = problem;
        }
        if (tls && caFile is null && !_fieldErrors.ContainsKey("ca"))
            _fieldErrors["ca"] = "TLS needs the broker's CA certificate: choose its file.";
        if (!string.IsNullOrEmpty(password) && string.IsNullOrWhiteSpace(username))
            _fieldErrors["username"] = "A password needs a user.";
        var next = current with
        {
            Host = host.Trim(),
            Port = p,
            Username = string.IsNullOrWhiteSpace(username) ? null : username.Trim(),
            Password = string.IsNullOrEmpty(password) ? null : password,
            Tls = tls ? new TlsConfig { CaFile = caFile, CertificateFile = current.Tls?.CertificateFile, KeyFile = current.Tls?.KeyFile } : null,
        };
        // An empty field keeps the stored password only for the broker it was given for (issue #14): same host, port,
        // TLS and CA, user. For any other, it is asked for again — it would otherwise go to whatever host was typed.
        if (next.Password is null && next.Username is not null && current.Password is not null)
        {
            if (ConfigBackup.SameBroker(next, Current))
                next = next with { Password = current.Password };
            else
                _fieldErrors["password"] = "Type the password again: the broker, port, TLS or user changed, and the password kept on the box is only sent to the broker it was given for.";
        }
        return next;
    }

    private void Sort(IReadOnlyList<string> problems)
    {
        foreach (var problem in problems)
        {
            var field = problem.StartsWith("mqtt.", StringComparison.Ordinal) ? problem[5..].Split(':', '.')[0] : null;
            var text = problem.IndexOf(':', StringComparison.Ordinal) is > 0 and var colon ? problem[(colon + 1)..].Trim() : problem;
            if (field is "host" or "port" or "username" or "password")
                _fieldErrors[field] = text;
            else if (field == "tls")
                _fieldErrors["ca"] = text;
            else
                GeneralProblems.Add(problem);
        }
    }
}
