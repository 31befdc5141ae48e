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
        if (throttle.LockedUntil(remote) is { } until)
        {
            Error = $"Too many wrong setup codes: try again after {until.ToLocalTime():HH:mm}.";
            return Page();
        }
        Error = PasswordHasher.Weakness(password ?? "", confirm ?? "");
        if (Error is not null)
            return Page();
        if (!state.Users.TrySetUp(code ?? "", password!))
        {
            throttle.Failed(remote);
            Error = "That is not the setup code of this box.";
            return Page();
        }
        throttle.Succeeded(remote);
        WebLog.Changed(loggers.CreateLogger("gateway.web"), "admin password set at first start", UserStore.Admin);
        Done = true;
        state.RaiseSetUp();
        return Page();
    }
}
