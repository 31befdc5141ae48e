using Gateway.Web.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gateway.Web.Pages;

/// <summary>First start: the setup code authorises choosing the admin password (guesses are throttled like logins).</summary>
public sealed class SetupModel(WebState state, LoginFlow login) : PageModel
{
    public string CodeFile => state.Users.SetupCodeFile;
    public string? Error { get; private set; }
    public bool Done { get; private set; }

    public IActionResult OnGet() => state.Users.IsSetUp ? Redirect("/login") : Page();

    public IActionResult OnPost(string? code, string? password, string? confirm)
    {
        if (state.Users.IsSetUp)
            return Redirect("/login");
        Error = login.SetUp(HttpContext, code ?? "", password ?? "", confirm ?? "");
        if (Error is not null)
            return Page();
        Done = true;
        state.RaiseSetUp();
        return Page();
    }
}
