using Gateway.Configuration;
using Gateway.Web.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Pages;

/// <summary>Logs, configuration backup and restore (validated before it replaces anything), restart, password.</summary>
public sealed class SystemModel(IGatewayControl control, WebState state, ILoggerFactory loggers) : PageModel
{
    public IReadOnlyList<string> Logs => control.RecentLogs();
    public string Fingerprint => state.Fingerprint;
    public List<string> Problems { get; } = [];
    public string? Message { get; private set; }
    public bool MessageOk { get; private set; }

    public void OnPostUpload(IFormFile? config)
    {
        if (config is null || config.Length == 0)
        {
            Message = "Choose a configuration file first.";
            return;
        }
        var text = Uploads.ReadText(config, out var problem);
        if (problem is not null)
        {
            Message = problem;
            return;
        }
        GatewayConfig parsed;
        try
        {
            parsed = ConfigValidator.Parse(text, "uploaded file");
        }
        catch (ConfigException e)
        {
            Message = $"Not restored: {e.Problems.Count} problem(s); the configuration in use is unchanged.";
            Problems.AddRange(e.Problems);
            return;
        }
        var refused = control.SaveConfig(parsed);
        if (refused.Count > 0)
        {
            Message = "Not restored; the configuration in use is unchanged.";
            Problems.AddRange(refused);
            return;
        }
        this.Audit(loggers, "configuration restored from a file");
        Message = "Restored. Destinations, MQTT and device apply now; spool and storage SCP settings at the next restart.";
        MessageOk = true;
    }

    public void OnPostCertificate(IFormFile? certificate, IFormFile? key)
    {
        if (certificate is null || key is null)
        {
            Message = "Choose the certificate and its key.";
            return;
        }
        var saved = Uploads.SaveCertificatePair(certificate, key, state.Config.StateDirectory, "https-hospital", out var problem);
        if (saved is not { } files)
        {
            Message = $"web.certificateFile: {problem}";
            return;
        }
        var problems = control.SaveConfig(control.Config with { Web = control.Config.Web with { CertificateFile = files.Certificate, KeyFile = files.Key } });
        if (problems.Count > 0)
        {
            Problems.AddRange(problems);
            return;
        }
        this.Audit(loggers, "page certificate replaced");
        Message = "Certificate saved: the page restarts with it in a moment (reload the page).";
        MessageOk = true;
    }

    public void OnPostPassword(string? current, string? password, string? confirm)
    {
        var user = User.Identity?.Name ?? UserStore.Admin;
        if (!state.Users.Verify(user, current ?? ""))
        {
            Message = "The current password is wrong.";
            return;
        }
        Message = PasswordHasher.Weakness(password ?? "", confirm ?? "");
        if (Message is not null)
            return;
        state.Users.SetPassword(user, password!);
        WebLog.Changed(loggers.CreateLogger("gateway.web"), "password changed", user);
        Message = "Password changed.";
        MessageOk = true;
    }

    public void OnPostRestart(string? confirm)
    {
        if (confirm != "yes")
        {
            Message = "Tick the box to confirm the restart.";
            return;
        }
        this.Audit(loggers, "restart requested");
        control.RequestRestart();
        Message = "Restarting: this page comes back in a few seconds.";
        MessageOk = true;
    }
}
