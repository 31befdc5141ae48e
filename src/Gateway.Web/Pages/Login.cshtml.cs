using System.Security.Claims;
using Gateway.Web.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Pages;

/// <summary>
/// Login with lockout: 10 wrong passwords for the account or from one address lock it for 15 minutes. The attempt is
/// reserved before the password is hashed (issue #14), and the session it opens is registered server-side.
/// </summary>
public sealed class LoginModel(WebState state, LoginThrottle throttle, SessionRegistry sessions, Logging.FailedLogins failures, ILoggerFactory loggers) : PageModel
{
    private readonly ILogger _log = loggers.CreateLogger(WebLog.Category);

    public string? Error { get; private set; }
    public string ReturnUrl { get; private set; } = "/";
    public string UserName { get; private set; } = UserStore.Admin;

    public void OnGet(string? returnUrl) => ReturnUrl = Local(returnUrl);

    public async Task<IActionResult> OnPostAsync(string? user, string? password, string? returnUrl)
    {
        ReturnUrl = Local(returnUrl);
        user = (user ?? "").Trim();
        UserName = user;
        var remote = HttpContext.Connection.RemoteIpAddress?.ToString() ?? "?";
        string[] keys = ["user:" + user, "ip:" + remote];
        var attempt = throttle.Reserve(keys);
        if (!attempt.Allowed)
        {
            if (attempt.FirstRefusal)
                WebLog.LockedOut(_log, user, remote, attempt.LockedUntil!.Value);
            Error = $"Locked out after too many wrong passwords: try again after {attempt.LockedUntil!.Value.ToLocalTime():HH:mm}.";
            return Page();
        }
        if (!state.Users.Verify(user, password ?? ""))
        {
            failures.Record(user, remote);
            Error = "Wrong user or password.";
            return Page();
        }
        throttle.Succeeded(keys);
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, user), new Claim(SessionRegistry.ClaimType, sessions.Start(user))],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity)).ConfigureAwait(false);
        WebLog.LoggedIn(_log, user, remote);
        return LocalRedirect(ReturnUrl);
    }

    private string Local(string? url) => url is { Length: > 0 } && Url.IsLocalUrl(url) ? url : "/";
}
