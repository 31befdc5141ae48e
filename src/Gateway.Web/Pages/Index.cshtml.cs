using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gateway.Web.Pages;

/// <summary>The status page: rendered once here, refreshed every 2 s by /status.js from /api/status.</summary>
public sealed class IndexModel(IGatewayControl control, WebState state) : PageModel
{
    public StatusView Status { get; private set; } = null!;

    public void OnGet() => Status = StatusView.Of(control, state);
}
