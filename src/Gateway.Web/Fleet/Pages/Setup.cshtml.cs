using Gateway.Web.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gateway.Web.Fleet.Pages;

/// <summary>First start of the fleet page: the setup code authorises choosing the admin password (<see cref="LoginFlow.SetUp"/>, as on a box).</summary>
public sealed class FleetSetupModel(FleetPageInfo info, LoginFlow login) : PageModel
{
    public string CodeFile => info.Users.SetupCodeFile;
    public string? Error { get; private set; }
    public bool Done { get; private set; }

    public IActionResult OnGet() => info.Users.IsSetUp ? Redirect("/login") : Page();

    public IActionResult OnPost(string? code, string? password, string? confirm)
    {
        if (info.Users.IsSetUp)
            return Redirect("/login");
        Error = login.SetUp(HttpContext, code ?? "", password ?? "", confirm ?? "");
        Done = Error is null;
        return Page();
    }
}
