using System.Text.Json.Nodes;
using Gateway.Configuration;

namespace Gateway.Web;

/// <summary>
/// The configuration as the System page lets it leave and come back (issue #14). The backup carries
/// <see cref="SecretPlaceholder"/> instead of the MQTT password — the MQTT page promises it is never shown back — and a
/// restore keeps the secret in use unless the file gives a new one. Before a restore the page lists every
/// difference; removals need their own confirmation.
/// </summary>
public static class ConfigBackup
{
    public const string SecretPlaceholder = "(kept on the box)";
    private const string Absent = "—";

    public static string Export(GatewayConfig config) => GatewayConfig.ToJson(config with
    {
        Mqtt = config.Mqtt is { Password: not null } m ? m with { Password = SecretPlaceholder } : config.Mqtt,
    });

    /// <summary>The placeholder (or no password for the same user) means "keep the password in use".</summary>
    public static GatewayConfig KeepSecrets(GatewayConfig uploaded, GatewayConfig current)
    {
        if (uploaded.Mqtt is not { } m)
            return uploaded;
        var keep = m.Password == SecretPlaceholder || (m.Password is null && m.Username is not null && m.Username == current.Mqtt?.Username);
        return keep ? uploaded with { Mqtt = m with { Password = m.Username is null ? null : current.Mqtt?.Password } } : uploaded;
    }

    public static IReadOnlyList<ConfigChange> Diff(GatewayConfig current, GatewayConfig next)
    {
        var changes = new List<ConfigChange>();
        var oldNames = current.Destinations.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        var newNames = next.Destinations.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        // A destination that comes or goes is one line, not one per field; removals first, they matter most.
        foreach (var gone in oldNames.Except(newNames))
            changes.Add(new ConfigChange($"destination {gone}", "configured", "removed", "objects waiting for it stay in the spool, but nothing new is sent to it"));
        foreach (var added in newNames.Except(oldNames))
            changes.Add(new ConfigChange($"destination {added}", Absent, "added", null));
        var both = oldNames.Intersect(newNames).ToHashSet(StringComparer.Ordinal);
        var before = Flatten(current, both);
        var after = Flatten(next, both);
        foreach (var key in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var b = before.GetValueOrDefault(key);
            var a = after.GetValueOrDefault(key);
            if (b == a)
                continue;
            changes.Add(new ConfigChange(key, Shown(key, b), Shown(key, a), Consequence(key, a)));
        }
        return [.. changes.OrderBy(c => c.Consequence is null)];
    }

    /// <summary>Dotted keys to compact values; the destinations on both sides by name (their order does not matter), the exam as one opaque value.</summary>
    private static Dictionary<string, string> Flatten(GatewayConfig config, HashSet<string> destinations)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var root = JsonNode.Parse(GatewayConfig.ToJson(config with { Destinations = [] }))!.AsObject();
        foreach (var (name, node) in root)
        {
            if (name != "destinations")
                Walk(values, name, node);
        }
        foreach (var d in config.Destinations.Where(d => destinations.Contains(d.Name)))
        {
            var node = JsonNode.Parse(GatewayConfig.ToJson(d))!.AsObject();
            foreach (var (name, child) in node)
            {
                if (name != "name")
                    Walk(values, $"destination {d.Name}: {name}", child);
            }
        }
        return values;
    }

    private static void Walk(Dictionary<string, string> values, string key, JsonNode? node)
    {
        if (key == "exam")
        {
            // Patient data: the page says that it changes, never what it holds.
            if (node is not null)
                values[key] = "set";
            return;
        }
        if (node is JsonObject o)
        {
            values[key] = "set";
            foreach (var (name, child) in o)
                Walk(values, $"{key}.{name}", child);
        }
        else if (node is not null)
            values[key] = node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node.ToJsonString();
    }

    private static string Shown(string key, string? value) =>
        value is null ? Absent : key.EndsWith(".password", StringComparison.Ordinal) ? "(a password)" : value;

    private static string? Consequence(string key, string? after) => key switch
    {
        "mqtt" or "device" or "localScp" when after is null => key switch
        {
            "mqtt" => "telemetry stops",
            "device" => "acquisition stops",
            _ => "the storage SCP stops at the next restart",
        },
        "web.stateDirectory" => "the page's admin password is kept there: a directory without one puts the page in setup mode",
        "web.port" or "web.bind" or "web.enabled" => "the page moves or closes: reload it at its new address",
        _ => null,
    };
}
