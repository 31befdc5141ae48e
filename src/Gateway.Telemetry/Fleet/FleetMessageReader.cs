using System.Text.Json;

namespace Gateway.Telemetry.Fleet;

/// <summary>
/// Reads and checks the three payloads a box publishes (README "Telemetry (MQTT)"). Pure functions over the bytes;
/// the broker is untrusted, so every field the view shows or exports is checked: ids and names by form and length,
/// counts non-negative, at most <see cref="FleetOptions.MaxDestinations"/> destinations. Unknown fields are ignored
/// (a newer box may add some), a schema other than 1 is refused.
/// </summary>
internal static class FleetMessageReader
{
    public const int MaxTextLength = 256;
    public const int MaxNameLength = 64;

    /// <summary>Box ids as `box.id` allows them: 1–64 ASCII letters, digits, '-' or '_'.</summary>
    public static bool IsValidBoxId(ReadOnlySpan<char> id)
    {
        if (id.Length is 0 or > 64)
            return false;
        foreach (var ch in id)
        {
            if (!char.IsAsciiLetterOrDigit(ch) && ch is not '-' and not '_')
                return false;
        }
        return true;
    }

    public static T? Parse<T>(ReadOnlySpan<byte> payload, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, out FleetDropReason? problem)
        where T : class
    {
        try
        {
            var value = JsonSerializer.Deserialize(payload, type);
            problem = value is null ? FleetDropReason.Json : null;
            return value;
        }
        catch (JsonException)
        {
            problem = FleetDropReason.Json;
            return null;
        }
        catch (NotSupportedException)
        {
            problem = FleetDropReason.Json;
            return null;
        }
        catch (InvalidOperationException)
        {
            problem = FleetDropReason.Json;
            return null;
        }
    }

    public static FleetDropReason? Check(StatusMessage s, string boxId) =>
        s.Schema != 1 ? FleetDropReason.Schema
        : s.BoxId != boxId ? FleetDropReason.BoxMismatch
        : s.State is "online" or "offline" ? null
        : FleetDropReason.Invalid;

    public static FleetDropReason? Check(EventMessage e, string boxId) =>
        e.Schema != 1 ? FleetDropReason.Schema
        : e.BoxId != boxId ? FleetDropReason.BoxMismatch
        : IsName(e.Kind) && e.Detail is not null && e.Detail.Length <= 4 * MaxTextLength && (e.Destination is null || IsName(e.Destination)) ? null
        : FleetDropReason.Invalid;

    public static FleetDropReason? Check(HealthMessage h, string boxId, int maxDestinations)
    {
        if (h.Schema != 1)
            return FleetDropReason.Schema;
        if (h.BoxId != boxId)
            return FleetDropReason.BoxMismatch;
        var ok = h.Version is not null && h.Version.Length <= MaxNameLength && !HasControl(h.Version)
            && h.UptimeSeconds >= 0 && h.MemoryBytes >= 0 && h.EventsDropped >= 0
            && h.DiskFreeBytes is null or >= 0
            && (h.CpuTemperatureC is null || double.IsFinite(h.CpuTemperatureC.Value) && h.CpuTemperatureC is > -100 and < 300)
            && h.Spool is not null && h.Spool.Entries >= 0 && h.Spool.Bytes >= 0
            && h.Destinations is not null && h.Destinations.Count <= maxDestinations
            && h.Destinations.All(d => d is not null && IsName(d.Name) && d.Pending >= 0 && d.OldestSeconds is null or >= 0 && d.DeadLetters >= 0
                && d.Failures >= 0 && d.AwaitingCommitment >= 0 && d.OldestAwaitingCommitmentSeconds is null or >= 0)
            && h.Destinations.Select(d => d.Name).Distinct(StringComparer.Ordinal).Count() == h.Destinations.Count
            && (h.Device is null || IsName(h.Device.Profile) && IsName(h.Device.Link) && h.Device.Acquired >= 0 && h.Device.Failures >= 0
                && (h.Device.Problem is null || h.Device.Problem.Length <= MaxTextLength))
            && (h.Mpps is null || h.Mpps.Pending >= 0 && h.Mpps.Failed >= 0 && h.Mpps.Sent >= 0 && h.Mpps.OldestPendingSeconds is null or >= 0);
        return ok ? null : FleetDropReason.Invalid;
    }

    /// <summary>A destination name, profile, link or event kind: 1–64 characters, no control characters.</summary>
    private static bool IsName(string? s) => s is { Length: > 0 and <= MaxNameLength } && !HasControl(s);

    private static bool HasControl(string s) => s.Any(char.IsControl);
}
