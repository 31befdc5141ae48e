using Gateway.Telemetry.Fleet;

namespace Gateway.Web.Fleet;

/// <summary>
/// What the fleet list shows of the boxes (issue #21: "sortable, filterable, alarms first"): boxes with a raised alarm
/// always come first, then the rest, each part in the chosen order (a missing figure last, either way); the filter
/// keeps the boxes of the chosen state whose id, version, device profile, destination names or alarm kinds contain the
/// text. Everything comes from the query string: the page works without script, and a link keeps a view.
/// </summary>
public static class FleetList
{
    public const int MaxFilterLength = 64;

    /// <summary>The sort keys, in the order of the page's list, with their labels.</summary>
    public static readonly IReadOnlyList<(string Key, string Label)> Sorts =
    [
        ("box", "Box"), ("state", "State"), ("version", "Version"), ("uptime", "Uptime"), ("spool", "Spool"),
        ("oldest", "Oldest waiting"), ("dead", "Dead letters"), ("disk", "Disk free"), ("temperature", "Temperature"), ("seen", "Last seen"),
    ];

    /// <summary>The state filters, with their labels.</summary>
    public static readonly IReadOnlyList<(string Key, string Label)> Shows =
        [("all", "All boxes"), ("alarms", "With alarms"), ("offline", "Offline"), ("online", "Online")];

    public sealed record Query(string Sort, bool Descending, string Show, string Filter)
    {
        /// <summary>Unknown values fall back to the default (box id, ascending, all, no text), so any link shows a list.</summary>
        public static Query From(string? sort, string? dir, string? show, string? q) => new(
            Sorts.Any(s => s.Key == sort) ? sort! : "box",
            dir == "desc",
            Shows.Any(s => s.Key == show) ? show! : "all",
            (q ?? "").Trim() is var t && t.Length > MaxFilterLength ? t[..MaxFilterLength] : t);
    }

    public static IReadOnlyList<FleetBoxView> Apply(IEnumerable<FleetBoxView> boxes, Query query)
    {
        var kept = boxes.Where(b => query.Show switch
        {
            "alarms" => b.Alarms.Count > 0,
            "offline" => !b.Online,
            "online" => b.Online,
            _ => true,
        }).Where(b => query.Filter.Length == 0 || Words(b).Any(w => w.Contains(query.Filter, StringComparison.OrdinalIgnoreCase)));
        var key = Key(query.Sort);
        return
        [
            .. Sorted(kept.Where(b => b.Alarms.Count > 0), key, query.Descending),
            .. Sorted(kept.Where(b => b.Alarms.Count == 0), key, query.Descending),
        ];
    }

    private static IEnumerable<FleetBoxView> Sorted(IEnumerable<FleetBoxView> boxes, Func<FleetBoxView, IComparable?> key, bool descending)
    {
        // Missing figures last in both directions; the box id breaks ties, so the order never jumps between refreshes.
        var withKey = boxes.Select(b => (b, k: key(b))).ToList();
        var present = withKey.Where(x => x.k is not null);
        var ordered = descending
            ? present.OrderByDescending(x => x.k).ThenBy(x => x.b.BoxId, StringComparer.Ordinal)
            : present.OrderBy(x => x.k).ThenBy(x => x.b.BoxId, StringComparer.Ordinal);
        return ordered.Concat(withKey.Where(x => x.k is null).OrderBy(x => x.b.BoxId, StringComparer.Ordinal)).Select(x => x.b);
    }

    private static Func<FleetBoxView, IComparable?> Key(string sort) => sort switch
    {
        "state" => b => b.Online ? 1 : 0,
        "version" => b => b.Health?.Version is { } v ? new OrdinalString(v) : null,
        "uptime" => b => b.Health?.UptimeSeconds,
        "spool" => b => b.Health?.Spool.Entries,
        "oldest" => b => b.Health?.Destinations.Max(d => d.OldestSeconds),
        "dead" => b => b.Health?.Destinations.Sum(d => (long)d.DeadLetters),
        "disk" => b => b.Health?.DiskFreeBytes,
        "temperature" => b => b.Health?.CpuTemperatureC,
        "seen" => b => b.LastSeen,
        _ => b => new OrdinalString(b.BoxId),
    };

    private static IEnumerable<string> Words(FleetBoxView b)
    {
        yield return b.BoxId;
        if (b.Health is { } h)
        {
            yield return h.Version;
            if (h.Device is { } d)
                yield return d.Profile;
            foreach (var dest in h.Destinations)
                yield return dest.Name;
        }
        foreach (var a in b.Alarms)
            yield return a.Kind;
    }

    /// <summary>Strings compared ordinally (the culture's order would differ between machines).</summary>
    private sealed record OrdinalString(string Value) : IComparable
    {
        public int CompareTo(object? obj) => string.CompareOrdinal(Value, (obj as OrdinalString)?.Value);
    }
}
