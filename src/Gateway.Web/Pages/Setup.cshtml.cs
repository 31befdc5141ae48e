using Gateway.Web.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Pages;

/// <summary>First start: the setup code authorises choosing the admin password (guesses are throttled like logins).</summary>
public sealed class SetupModel(WebState state, LoginThrottle throttle, ILoggerFactory loggers) : PageModel
{
    public string CodeFile => state.Users.SetupCodeFile;
    public string? Error { get; private set; }
    public bool Done { get; private set; }

    public IActionResult OnGet() => state.Users.IsSetUp ? Redirect("/login") : Page();

    public IActionResult OnPost(string? code, string? password, string? confirm)
    {
        if (state.Users.IsSetUp)
            return Redirect("/login");
        var remote = "setup@" + (HttpContext.Connection.RemoteIpAddress?.ToString() ?? "?");
        Error = PasswordHasher.Weakness(password ?? "", confirm ?? "");
        if (Error is not null)
            return Page();
        // Reserved before the code is compared, like a login: parallel guesses cannot pass the check together.
        var attempt = throttle.Reserve(remote);
        if (!attempt.Allowed)
        {
            Error = $"Too many wrong setup codes: try again after {attempt.LockedUntil!.Value.ToLocalTime():HH:mm}.";
            return Page();
        }
        if (!state.Users.TrySetUp(code ?? "", password!))
        {
            Error = "That is not the setup code of this box.";
            return Page();
        }
        throttle.Succeeded(remote);
        WebLog.Changed(loggers.CreateLogger(WebLog.Category), "admin password set at first start", UserStore.Admin);
        Done = true;
        state.RaiseSetUp();
        return Page();
    }
}
