using Gateway.Web.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gateway.Web.Pages;

/// <summary>Login with lockout (<see cref="LoginFlow"/>: the same for the box's page and the fleet page).</summary>
public sealed class LoginModel(LoginFlow login) : PageModel
{
    public string? Error { get; private set; }
    public string ReturnUrl { get; private set; } = "/";
    public string UserName { get; private set; } = UserStore.Admin;

    public void OnGet(string? returnUrl) => ReturnUrl = Local(returnUrl);

    public async Task<IActionResult> OnPostAsync(string? user, string? password, string? returnUrl)
    {
        ReturnUrl = Local(returnUrl);
        UserName = (user ?? "").Trim();
        Error = await login.SignInAsync(HttpContext, UserName, password ?? "").ConfigureAwait(false);
        return Error is null ? LocalRedirect(ReturnUrl) : Page();
    }

    private string Local(string? url) => url is { Length: > 0 } && Url.IsLocalUrl(url) ? url : "/";
}
