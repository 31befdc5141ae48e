using Gateway.Web.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Pages;

/// <summary>
/// Log out: a POST with the antiforgery token (a link would let another site log the technician out). The session
/// ends on the server, so a copy of the cookie saved before opens nothing afterwards (issue #14).
/// </summary>
public sealed class LogoutModel(SessionRegistry sessions, ILoggerFactory loggers) : PageModel
{
    public IActionResult OnGet() => Redirect("/");

    public async Task<IActionResult> OnPostAsync()
    {
        sessions.End(SessionRegistry.IdOf(User));
        await HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme).ConfigureAwait(false);
        WebLog.LoggedOut(loggers.CreateLogger(WebLog.Category), User.Identity?.Name ?? "?", HttpContext.Connection.RemoteIpAddress?.ToString() ?? "?");
        return Redirect("/login");
    }
}
