using Gateway.Configuration;
using Gateway.Web.Logging;
using Gateway.Web.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Pages;

/// <summary>
/// Logs (filtered and paged), configuration backup and restore (validated, then shown as a difference and confirmed
/// before it replaces anything), restart, password (changing it ends the other sessions).
/// </summary>
public sealed class SystemModel(IGatewayControl control, WebState state, SessionRegistry sessions, PendingRestores restores, LoginThrottle throttle, ILoggerFactory loggers) : PageModel
{
    public const int PageSize = 50;
    private readonly Dictionary<string, string> _fieldErrors = new(StringComparer.Ordinal);

    public string Fingerprint => state.Fingerprint;
    public List<string> Problems { get; } = [];
    public string? Message { get; private set; }
    public bool MessageOk { get; private set; }

    /// <summary>The log shown: "security", "problems", "other" or "all".</summary>
    public string LogFilter { get; private set; } = "security";
    public int LogPage { get; private set; }
    public int LogPages { get; private set; } = 1;
    public IReadOnlyList<LogEntry> Logs { get; private set; } = [];

    /// <summary>A restore waiting for confirmation: its id and what it would change.</summary>
    public string? RestoreId { get; private set; }
    public IReadOnlyList<ConfigChange> RestoreChanges { get; private set; } = [];

    public string? FieldError(string field) => _fieldErrors.GetValueOrDefault(field);

    public void OnGet(string? log, int p = 0) => LoadLogs(log, p); // not "page": Razor Pages reserves that route value

    public void OnPostUpload(IFormFile? config)
    {
        LoadLogs(null, 0);
        if (config is null || config.Length == 0)
        {
            _fieldErrors["config"] = "Choose a configuration file first.";
            return;
        }
        var text = Uploads.ReadText(config, out var problem);
        if (problem is not null)
        {
            _fieldErrors["config"] = problem;
            return;
        }
        GatewayConfig parsed;
        string? secretProblem = null;
        try
        {
            // The kept password goes back in before validation: only here is the placeholder not a problem.
            parsed = ConfigValidator.Parse(text, "uploaded file", c => ConfigBackup.Prepare(c, control.Config, out secretProblem));
        }
        catch (ConfigException e)
        {
            Message = $"Not restored: {e.Problems.Count} problem(s); the configuration in use is unchanged.";
            Problems.AddRange(secretProblem is null ? e.Problems : [secretProblem, .. e.Problems.Where(p => !p.StartsWith("mqtt.password:", StringComparison.Ordinal))]);
            return;
        }
        var changes = ConfigBackup.Diff(control.Config, parsed);
        if (changes.Count == 0)
        {
            Message = "The file holds the configuration in use: nothing to restore.";
            MessageOk = true;
            return;
        }
        RestoreId = restores.Offer(parsed, control.Config);
        RestoreChanges = changes;
        Message = "Not restored yet: check the changes below, then confirm.";
    }

    public async Task OnPostRestore(string? id, string? removals)
    {
        LoadLogs(null, 0);
        if (restores.Find(id, control.Config) is not { } next)
        {
            Message = "Nothing restored: that upload expired or the configuration changed meanwhile. Upload the file again.";
            return;
        }
        var changes = ConfigBackup.Diff(control.Config, next);
        if (changes.Any(c => c.Consequence is not null) && removals != "yes")
        {
            RestoreId = id;
            RestoreChanges = changes;
            _fieldErrors["removals"] = "Tick the box to accept what this restore removes or sends elsewhere, or cancel.";
            Message = "Not restored yet: check the changes below, then confirm.";
            return;
        }
        var refused = await control.SaveConfigAsync(next);
        if (refused.Count > 0)
        {
            Message = "Not restored; the configuration in use is unchanged.";
            Problems.AddRange(refused);
            return;
        }
        restores.Forget();
        this.Audit(loggers, $"configuration restored from a file ({changes.Count} change(s))");
        Message = "Restored. Destinations, MQTT, device and the page's own settings apply now; spool and storage SCP settings at the next restart. The next exam is unchanged.";
        MessageOk = true;
    }

    public void OnPostCancelRestore()
    {
        restores.Forget();
        LoadLogs(null, 0);
        Message = "Restore cancelled: nothing changed.";
        MessageOk = true;
    }

    public async Task OnPostCertificate(IFormFile? certificate, IFormFile? key)
    {
        LoadLogs(null, 0);
        if (certificate is null || certificate.Length == 0)
            _fieldErrors["certificate"] = "Choose the certificate file.";
        if (key is null || key.Length == 0)
            _fieldErrors["key"] = "Choose its private key file.";
        if (_fieldErrors.Count > 0)
            return;
        var saved = Uploads.SaveCertificatePair(certificate!, key!, state.Config.StateDirectory, "https-hospital", out var problem);
        if (saved is not { } files)
        {
            _fieldErrors["certificate"] = $"Certificate not used: {problem}";
            return;
        }
        var problems = await control.SaveConfigAsync(control.Config with { Web = control.Config.Web with { CertificateFile = files.Certificate, KeyFile = files.Key } });
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
        LoadLogs(null, 0);
        var user = User.Identity?.Name ?? UserStore.Admin;
        // The current password is a guess like any login's: the same lockout, the attempt reserved before the hash
        // (issue #14), so a stolen session cannot try passwords faster than the login form.
        var remote = HttpContext.Connection.RemoteIpAddress?.ToString() ?? "?";
        string[] keys = ["user:" + user, "ip:" + remote];
        var attempt = throttle.Reserve(keys);
        if (!attempt.Allowed)
        {
            if (attempt.FirstRefusal)
                WebLog.LockedOut(loggers.CreateLogger(WebLog.Category), user, remote, attempt.LockedUntil!.Value);
            _fieldErrors["current"] = $"Locked out after too many wrong passwords: try again after {attempt.LockedUntil!.Value.ToLocalTime():HH:mm}.";
            return;
        }
        if (state.Users.Verify(user, current ?? ""))
            throttle.Succeeded(keys);
        else
        {
            WebLog.WrongCurrentPassword(loggers.CreateLogger(WebLog.Category), user, remote);
            _fieldErrors["current"] = "This is not the current password.";
        }
        if (PasswordHasher.Weakness(password ?? "", confirm ?? "") is { } weakness)
            _fieldErrors[weakness.Contains("differ", StringComparison.Ordinal) ? "confirm" : "password"] = weakness;
        if (_fieldErrors.Count > 0)
            return;
        state.Users.SetPassword(user, password!);
        // Whoever else holds a session (a stolen cookie, a forgotten tablet) is out now (issue #14).
        var ended = sessions.EndAllOf(user, except: SessionRegistry.IdOf(User));
        WebLog.PasswordChanged(loggers.CreateLogger(WebLog.Category), user, ended);
        Message = ended == 0 ? "Password changed." : $"Password changed; {ended} other session(s) ended.";
        MessageOk = true;
    }

    public void OnPostRestart(string? confirm)
    {
        LoadLogs(null, 0);
        if (confirm != "yes")
        {
            _fieldErrors["restart"] = "Tick the box to confirm the restart.";
            return;
        }
        this.Audit(loggers, "restart requested");
        control.RequestRestart();
        Message = "Restarting: this page comes back in a few seconds.";
        MessageOk = true;
    }

    private void LoadLogs(string? filter, int page)
    {
        LogFilter = filter is "problems" or "other" or "all" ? filter : "security";
        LogKind[] kinds = LogFilter switch
        {
            "problems" => [LogKind.Problem],
            "other" => [LogKind.Other],
            "all" => [],
            _ => [LogKind.Audit, LogKind.Security],
        };
        var all = control.RecentLogs().Where(e => kinds.Length == 0 || kinds.Contains(e.Kind)).ToList();
        LogPages = Math.Max(1, (all.Count + PageSize - 1) / PageSize);
        LogPage = Math.Clamp(page, 0, LogPages - 1);
        Logs = all.Skip(LogPage * PageSize).Take(PageSize).ToList();
    }
}
