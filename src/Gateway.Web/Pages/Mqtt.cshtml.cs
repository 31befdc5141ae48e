using System.Globalization;
using Gateway.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Pages;

/// <summary>Broker, credentials (the password is never shown back), TLS; a real test connect.</summary>
public sealed class MqttModel(IGatewayControl control, WebState state, ILoggerFactory loggers) : PageModel
{
    public MqttConfig? Current => control.Config.Mqtt;
    public string? Message { get; private set; }
    public bool MessageOk { get; private set; }

    public void OnPostSave(string? host, string? port, string? username, string? password, bool tls, IFormFile? ca)
    {
        var mqtt = Build(host, port, username, password, tls, ca);
        if (Message is not null)
            return;
        var problems = control.SaveConfig(control.Config with { Mqtt = mqtt });
        if (problems.Count > 0)
        {
            Message = string.Join("; ", problems);
            return;
        }
        this.Audit(loggers, "MQTT settings saved");
        Message = mqtt is null ? "Telemetry off." : "Saved: the gateway reconnects with these settings.";
        MessageOk = true;
    }

    public async Task OnPostTestAsync(string? host, string? port, string? username, string? password, bool tls, IFormFile? ca, CancellationToken ct)
    {
        var mqtt = Build(host, port, username, password, tls, ca);
        if (Message is not null)
            return;
        if (mqtt is null)
        {
            Message = "Give a broker host to test.";
            return;
        }
        (MessageOk, Message) = await control.TestMqttAsync(mqtt, ct).ConfigureAwait(false);
    }

    private MqttConfig? Build(string? host, string? port, string? username, string? password, bool tls, IFormFile? ca)
    {
        if (string.IsNullOrWhiteSpace(host))
            return null;
        if (!int.TryParse(port, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p))
        {
            Message = $"mqtt.port: '{port}' is not a port number";
            return null;
        }
        var current = Current ?? new MqttConfig();
        var caFile = current.Tls?.CaFile;
        if (ca is { Length: > 0 })
        {
            caFile = Uploads.SavePemCertificate(ca, state.Config.StateDirectory, out var problem);
            if (problem is not null)
            {
                Message = $"mqtt.tls.caFile: {problem}";
                return null;
            }
        }
        return current with
        {
            Host = host.Trim(),
            Port = p,
            Username = string.IsNullOrWhiteSpace(username) ? null : username.Trim(),
            Password = string.IsNullOrEmpty(password) ? (string.IsNullOrWhiteSpace(username) ? null : current.Password) : password,
            Tls = tls ? new TlsConfig { CaFile = caFile, CertificateFile = current.Tls?.CertificateFile, KeyFile = current.Tls?.KeyFile } : null,
        };
    }
}
