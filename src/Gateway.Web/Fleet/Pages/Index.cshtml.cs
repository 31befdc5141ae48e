using Gateway.Telemetry.Fleet;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gateway.Web.Fleet.Pages;

/// <summary>The fleet list: every box, alarms first, sorted and filtered by the query string (<see cref="FleetList"/>).</summary>
public sealed class FleetIndexModel(FleetState fleet, FleetPageInfo info, TimeProvider time) : PageModel
{
    public FleetList.Query Query { get; private set; } = FleetList.Query.From(null, null, null, null);
    public IReadOnlyList<FleetBoxView> Boxes { get; private set; } = [];
    public int Total { get; private set; }
    public int Offline { get; private set; }
    public int Alarmed { get; private set; }
    public DateTimeOffset Now { get; private set; }

    public void OnGet(string? sort, string? dir, string? show, string? q)
    {
        Now = time.GetUtcNow();
        Query = FleetList.Query.From(sort, dir, show, q);
        var all = fleet.Snapshot();
        Total = all.Count;
        Offline = all.Count(b => !b.Online);
        Alarmed = all.Count(b => b.Alarms.Count > 0);
        Boxes = FleetList.Apply(all, Query);
        ViewData["Refresh"] = $"{info.Options.RefreshSeconds}; url={Link(Query, refresh: true)}";
    }

    /// <summary>The column's link: sorts by it, or turns the direction round when it is the current order.</summary>
    public string SortLink(string key) => Link(Query with { Sort = key, Descending = Query.Sort == key && !Query.Descending });

    public string? AriaSort(string key) => Query.Sort != key ? null : Query.Descending ? "descending" : "ascending";

    public static string Link(FleetList.Query q, bool refresh = false)
    {
        var query = QueryString.Create(new Dictionary<string, string?>
        {
            ["sort"] = q.Sort,
            ["dir"] = q.Descending ? "desc" : "asc",
            ["show"] = q.Show,
            ["q"] = q.Filter.Length > 0 ? q.Filter : null,
            [FleetPageInfo.RefreshParameter] = refresh ? "1" : null,
        }.Where(p => p.Value is not null));
        return "/" + query.ToUriComponent();
    }

    public static string BoxLink(string boxId) => "/box/" + Uri.EscapeDataString(boxId);
}
