using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Gateway.Configuration;
using Gateway.Shared;
using Gateway.Web.Logging;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Pages;

/// <summary>The destination form as posted (strings: the validator, not model binding, judges the values; empty stays empty).</summary>
public sealed class DestinationForm
{
    public string? OriginalName { get; set; }
    [DisplayFormat(ConvertEmptyStringToNull = false)]
    public string Name { get; set; } = "";
    [DisplayFormat(ConvertEmptyStringToNull = false)]
    public string AeTitle { get; set; } = "";
    [DisplayFormat(ConvertEmptyStringToNull = false)]
    public string Host { get; set; } = "";
    [DisplayFormat(ConvertEmptyStringToNull = false)]
    public string Port { get; set; } = "104";
    [DisplayFormat(ConvertEmptyStringToNull = false)]
    public string CallingAeTitle { get; set; } = "GATEWAY";
    [DisplayFormat(ConvertEmptyStringToNull = false)]
    public string Modalities { get; set; } = "";
    public bool Tls { get; set; }
}

/// <summary>
/// Add, edit, remove destinations and test them with a real C-ECHO. Every change is validated by the same code as the
/// configuration file (messages name the field) and written atomically; the running service applies it at once.
/// </summary>
public sealed class DestinationsModel(IGatewayControl control, WebState state, ILoggerFactory loggers) : PageModel
{
    private readonly Dictionary<string, string> _fieldErrors = new(StringComparer.Ordinal);

    [BindProperty]
    public DestinationForm Form { get; set; } = new();

    public IReadOnlyList<DestinationConfig> Destinations => control.Config.Destinations;
    public List<string> GeneralProblems { get; } = [];
    public string? Message { get; private set; }
    public bool MessageOk { get; private set; }

    public string? FieldError(string field) => _fieldErrors.GetValueOrDefault(field);

    public void OnGet(string? edit)
    {
        if (edit is not null && Destinations.FirstOrDefault(d => d.Name == edit) is { } d)
            Form = FromConfig(d);
    }

    public string? ConfirmRemove { get; private set; }

    public async Task<IActionResult> OnPostSave(IFormFile? ca, IFormFile? clientCertificate, IFormFile? clientKey)
    {
        var destinations = control.Config.Destinations.ToList();
        var index = Form.OriginalName is { } original ? destinations.FindIndex(d => d.Name == original) : -1;
        var existing = index >= 0 ? destinations[index] : null;
        var port = ParsePort(Form.Port);
        TlsConfig? tls = null;
        if (Form.Tls)
        {
            var caFile = existing?.Tls?.CaFile;
            if (ca is { Length: > 0 })
            {
                caFile = Uploads.SavePemCertificate(ca, state.Config.StateDirectory, out var problem);
                if (problem is not null)
                    _fieldErrors["ca"] = problem;
            }
            var (certificateFile, keyFile) = (existing?.Tls?.CertificateFile, existing?.Tls?.KeyFile);
            if (clientCertificate is { Length: > 0 } || clientKey is { Length: > 0 })
            {
                if (clientCertificate is not { Length: > 0 })
                    _fieldErrors["clientCertificate"] = "A key needs its certificate: choose both files.";
                else if (clientKey is not { Length: > 0 })
                    _fieldErrors["clientKey"] = "A certificate needs its private key: choose both files.";
                else if (Uploads.SaveCertificatePair(clientCertificate, clientKey, Path.Combine(state.Config.StateDirectory, "tls"), $"{Guid.NewGuid():N}-client", out var problem) is { } pair)
                    (certificateFile, keyFile) = pair;
                else
                    _fieldErrors["clientCertificate"] = problem!;
            }
            tls = new TlsConfig { CaFile = caFile, CertificateFile = certificateFile, KeyFile = keyFile };
        }
        var candidate = (existing ?? new DestinationConfig()) with
        {
            Name = Form.Name.Trim(),
            AeTitle = Form.AeTitle,
            Host = Form.Host.Trim(),
            // An unreadable port still lets the other fields be judged (issue #14: one bad field must not hide the others).
            Port = port ?? 104,
            CallingAeTitle = Form.CallingAeTitle,
            Tls = tls,
            Route = (existing?.Route ?? new RouteConfig()) with
            {
                Modalities = [.. Form.Modalities.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
            },
        };
        if (index >= 0)
            destinations[index] = candidate;
        else
        {
            destinations.Add(candidate);
            index = destinations.Count - 1;
        }
        if (port is null)
            _fieldErrors["port"] = $"Use a port number from 1 to 65535 (you typed '{Form.Port}').";
        var next = control.Config with { Destinations = destinations };
        Sort(ConfigValidator.Validate(next), $"destinations[{index}].");
        if (_fieldErrors.Count > 0 || GeneralProblems.Count > 0)
            return Page();
        var problems = await control.SaveConfigAsync(next);
        if (problems.Count > 0)
        {
            Sort(problems, $"destinations[{index}].");
            return Page();
        }
        this.Audit(loggers, $"destination {LogText.Quote(candidate.Name)} saved");
        Message = $"Saved {candidate.Name}: the gateway uses it from now on.";
        MessageOk = true;
        Form = new DestinationForm();
        ModelState.Clear();
        return Page();
    }

    /// <summary>Removing a destination asks first (issue #14: the red button sat under "Test connection", with no confirmation).</summary>
    public async Task<IActionResult> OnPostRemove(string name, string? confirm)
    {
        if (confirm != "yes")
        {
            ConfirmRemove = Destinations.Any(d => d.Name == name) ? name : null;
            if (ConfirmRemove is null)
                GeneralProblems.Add($"There is no destination '{name}' (any more).");
            return Page();
        }
        var destinations = control.Config.Destinations.Where(d => d.Name != name).ToList();
        var problems = await control.SaveConfigAsync(control.Config with { Destinations = destinations });
        if (problems.Count > 0)
        {
            GeneralProblems.AddRange(problems);
            return Page();
        }
        this.Audit(loggers, $"destination {LogText.Quote(name)} removed");
        Message = $"Removed {name}. Objects already waiting for it stay in the spool (see the spool page).";
        MessageOk = true;
        return Page();
    }

    public async Task<IActionResult> OnPostTestAsync(CancellationToken ct)
    {
        var configured = control.Config.Destinations.FirstOrDefault(d => d.Name == Form.OriginalName);
        DestinationConfig target;
        if (configured is not null && string.IsNullOrEmpty(Form.Host))
            target = configured;
        else
        {
            if (ParsePort(Form.Port) is not { } port)
            {
                _fieldErrors["port"] = $"Use a port number from 1 to 65535 (you typed '{Form.Port}').";
                return Page();
            }
            target = (configured ?? new DestinationConfig()) with { Name = Form.Name, AeTitle = Form.AeTitle, Host = Form.Host.Trim(), Port = port, CallingAeTitle = Form.CallingAeTitle };
        }
        var (ok, message) = await control.EchoAsync(target, ct).ConfigureAwait(false);
        Message = $"{target.Name} ({target.AeTitle} at {target.Host}:{target.Port}): {message}";
        MessageOk = ok;
        if (configured is not null && string.IsNullOrEmpty(Form.Host))
        {
            // Tested from the list: the form below stays an empty "add" form.
            Form = new DestinationForm();
            ModelState.Clear();
        }
        return Page();
    }

    private static int? ParsePort(string text) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 65535 ? p : null;

    /// <summary>Problems of this destination go beside their fields (without the key: the field says which); the rest above the form.</summary>
    private void Sort(IReadOnlyList<string> problems, string prefix)
    {
        foreach (var problem in problems)
        {
            if (problem.StartsWith(prefix, StringComparison.Ordinal))
            {
                var rest = problem[prefix.Length..];
                var colon = rest.IndexOf(':', StringComparison.Ordinal);
                var field = colon > 0 ? rest[..colon] : rest;
                var text = colon > 0 ? rest[(colon + 1)..].Trim() : rest;
                if (text == "is empty")
                    text = "Fill this in.";
                var cut = field.IndexOfAny(['/', '.']);
                field = cut > 0 ? field[..cut] : field;
                if (field == "port" && _fieldErrors.ContainsKey("port"))
                    continue; // our own message about what was typed says it better
                if (field is "name" or "aeTitle" or "host" or "port" or "callingAeTitle" or "tls" or "route")
                    _fieldErrors[field] = _fieldErrors.TryGetValue(field, out var before) ? before + "; " + text : text;
                else
                    GeneralProblems.Add(rest);
            }
            else
                GeneralProblems.Add(problem);
        }
    }

    private static DestinationForm FromConfig(DestinationConfig d) => new()
    {
        OriginalName = d.Name,
        Name = d.Name,
        AeTitle = d.AeTitle,
        Host = d.Host,
        Port = d.Port.ToString(CultureInfo.InvariantCulture),
        CallingAeTitle = d.CallingAeTitle,
        Modalities = string.Join(", ", d.Route.Modalities),
        Tls = d.Tls is not null,
    };
}
