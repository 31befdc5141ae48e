using System.Text.Json.Nodes;
using Gateway.Configuration;

namespace Gateway.Web;

/// <summary>
/// The configuration as the System page lets it leave and come back (issue #14). The backup carries
/// <see cref="SecretPlaceholder"/> instead of the MQTT password — the MQTT page promises it is never shown back — and
/// no exam at all: the exam is patient data, and a restore never changes who the next patient is. Before a restore
/// the page lists every difference; removals and changes that send data elsewhere need their own confirmation.
/// </summary>
public static class ConfigBackup
{
    public const string SecretPlaceholder = ConfigValidator.SecretPlaceholder;
    private const string Absent = "—";

    public static string Export(GatewayConfig config)
    {
        var json = JsonNode.Parse(GatewayConfig.ToJson(config with
        {
            Mqtt = config.Mqtt is { Password: not null } m ? m with { Password = SecretPlaceholder } : config.Mqtt,
        }))!.AsObject();
        json.Remove("exam"); // not even as null: a backup says nothing about patients
        return json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// The uploaded file made ready for validation: the exam in use stays (whatever the file says), and the stored MQTT
    /// password is kept only for the same broker — host, port, TLS and CA, user all unchanged. For another broker the
    /// placeholder is refused with <paramref name="problem"/>: the password of one broker is never sent to another.
    /// </summary>
    public static GatewayConfig Prepare(GatewayConfig uploaded, GatewayConfig current, out string? problem)
    {
        problem = null;
        uploaded = uploaded with { Exam = current.Exam };
        if (uploaded.Mqtt is not { } m)
            return uploaded;
        var sameBroker = SameBroker(m, current.Mqtt);
        if (m.Password == SecretPlaceholder)
        {
            if (sameBroker && current.Mqtt?.Password is not null)
                return uploaded with { Mqtt = m with { Password = current.Mqtt.Password } };
            problem = $"mqtt.password: the file sends telemetry to another broker (host, port, TLS or user differ from the ones in use), so the password kept on the box is not used for it. Write that broker's password in the file in place of \"{SecretPlaceholder}\" (or remove mqtt.password), then upload it again.";
            return uploaded;
        }
        // An older backup without the placeholder: no password for the same broker and user means "keep it".
        if (m.Password is null && m.Username is not null && sameBroker)
            return uploaded with { Mqtt = m with { Password = current.Mqtt?.Password } };
        return uploaded;
    }

    /// <summary>The stored password may be used for <paramref name="next"/>: same host, port, TLS (and CA file) and user as the one it was given for.</summary>
    public static bool SameBroker(MqttConfig next, MqttConfig? current) =>
        current is not null
        && string.Equals(next.Host.Trim(), current.Host.Trim(), StringComparison.OrdinalIgnoreCase)
        && next.Port == current.Port
        && next.Username == current.Username
        && (next.Tls is null) == (current.Tls is null)
        && next.Tls?.CaFile == current.Tls?.CaFile
        && next.Tls?.CertificateFile == current.Tls?.CertificateFile;

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
            var consequence = key == "localScp.allowedCallingAeTitles" ? Loosened(current.LocalScp, next.LocalScp) : Consequence(key, b, a, after);
            changes.Add(new ConfigChange(key, Shown(key, b), Shown(key, a), consequence));
        }
        return [.. changes.OrderBy(c => c.Consequence is null)];
    }

    /// <summary>Dotted keys to compact values; the destinations on both sides by name (their order does not matter). Never the exam: patient data.</summary>
    private static Dictionary<string, string> Flatten(GatewayConfig config, HashSet<string> destinations)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var root = JsonNode.Parse(GatewayConfig.ToJson(config with { Destinations = [], Exam = null }))!.AsObject();
        foreach (var (name, node) in root)
        {
            if (name is not "destinations" and not "exam")
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

    /// <summary>What a change does, in a technician's words, when it removes something or sends data somewhere else (issue #14).</summary>
    private static string? Consequence(string key, string? before, string? after, Dictionary<string, string> next)
    {
        // Something new (a section or field added) sends nothing elsewhere; a section removed has its own line.
        if (before is null || (after is null && key.IndexOf('.', StringComparison.Ordinal) is > 0 and var dot && !next.ContainsKey(key[..dot])))
            return null;
        var was = before;
        var now = after ?? "its default";
        if (key.StartsWith("destination ", StringComparison.Ordinal) && key.IndexOf(": ", StringComparison.Ordinal) is > 0 and var colon)
        {
            var name = key["destination ".Length..colon];
            var field = key[(colon + 2)..];
            return field switch
            {
                "host" => $"images for {name} go to the host {now} instead of {was}",
                "port" => $"images for {name} go to port {now} instead of {was}",
                "aeTitle" => $"images for {name} go to the AE title {now} instead of {was}",
                "tls" when after is null => $"images for {name} are sent without encryption (TLS off)",
                "tls" => null, // TLS switched on: safer, not elsewhere
                _ when field.StartsWith("tls.", StringComparison.Ordinal) =>
                    $"images for {name} are sent over TLS with another certificate or CA ({now} instead of {was})",
                _ => null,
            };
        }
        return key switch
        {
            "mqtt" or "device" or "localScp" when after is null => key switch
            {
                "mqtt" => "telemetry stops",
                "device" => "acquisition stops",
                _ => "the storage SCP stops at the next restart",
            },
            "mqtt.host" => $"telemetry goes to the broker {now} instead of {was}",
            "mqtt.port" => $"telemetry goes to the broker's port {now} instead of {was}",
            "mqtt.tls" when after is null => "telemetry is sent without encryption (TLS off)",
            _ when key.StartsWith("mqtt.tls.", StringComparison.Ordinal) => $"telemetry trusts another broker certificate or CA ({now} instead of {was})",
            "spool.path" => $"images are kept in {now} instead of {was} from the next restart; what waits in {was} is no longer sent",
            "web.bindBeforeSetup" => $"before its password is set, the page listens on {now} instead of {was}",
            "device.watchFolder" => $"images are picked up from the folder {(after is null ? "of the device profile" : now)} instead of {was}",
            "web.stateDirectory" => "the page's admin password is kept there: a directory without one puts the page in setup mode",
            "web.port" or "web.bind" or "web.enabled" => "the page moves or closes: reload it at its new address",
            _ => null,
        };
    }

    /// <summary>Callers the storage SCP used to refuse and would accept now.</summary>
    private static string? Loosened(LocalScpConfig? current, LocalScpConfig? next)
    {
        if (next is null || current?.AllowedCallingAeTitles is not { } was)
            return null; // the SCP goes (its own line says so) or it accepted every caller already
        if (next.AllowedCallingAeTitles is not { } now)
            return "the storage SCP accepts images from any calling AE title, not only the listed ones";
        var added = now.Except(was, StringComparer.Ordinal).ToList();
        return added.Count == 0 ? null : $"the storage SCP also accepts images from {string.Join(", ", added)}";
    }
}
