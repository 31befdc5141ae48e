using Gateway.Web.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gateway.Web.Pages;

/// <summary>
/// Log out: a POST with the antiforgery token (a link would let another site log the technician out). The session
/// ends on the server, so a copy of the cookie saved before opens nothing afterwards (issue #14).
/// </summary>
public sealed class LogoutModel(LoginFlow login) : PageModel
{
    public IActionResult OnGet() => Redirect("/");

    public async Task<IActionResult> OnPostAsync()
    {
        await login.SignOutAsync(HttpContext).ConfigureAwait(false);
        return Redirect("/login");
    }
}
