using Gateway.Telemetry.Fleet;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gateway.Web.Fleet.Pages;

/// <summary>One box: what it last reported, its alarms and its recent events (newest first).</summary>
public sealed class FleetBoxModel(FleetState fleet, FleetPageInfo info, TimeProvider time) : PageModel
{
    public FleetBoxView Box { get; private set; } = null!;
    public DateTimeOffset Now { get; private set; }

    public IActionResult OnGet(string id)
    {
        // The id comes from the URL: it is only looked up, never used as a path or echoed unescaped.
        if (fleet.Box(id) is not { } box)
            return NotFound();
        Box = box;
        Now = time.GetUtcNow();
        ViewData["Refresh"] = $"{info.Options.RefreshSeconds}; url={FleetIndexModel.BoxLink(box.BoxId)}?{FleetPageInfo.RefreshParameter}=1";
        return Page();
    }
}
