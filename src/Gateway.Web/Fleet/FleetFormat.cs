using System.Globalization;

namespace Gateway.Web.Fleet;

/// <summary>How the fleet page writes figures: short, in the fleet machine's local time, the same on every page.</summary>
public static class FleetFormat
{
    public static string Time(DateTimeOffset? t) =>
        t is { } v ? v.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "never";

    public static string Age(long? seconds) => seconds switch
    {
        null => "–",
        < 120 => string.Create(CultureInfo.InvariantCulture, $"{seconds} s"),
        < 7200 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 60} min"),
        < 172_800 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600} h {seconds % 3600 / 60} min"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{seconds / 86_400} d {seconds % 86_400 / 3600} h"),
    };

    public static string Since(DateTimeOffset? t, DateTimeOffset now) => t is { } v ? Age((long)Math.Max(0, (now - v).TotalSeconds)) + " ago" : "–";

    public static string Bytes(long? bytes) => bytes switch
    {
        null => "unknown",
        >= 10L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1L << 30):N0} GiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1L << 20):N0} MiB"),
    };

    public static string Temperature(double? c) => c is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v:F1} °C") : "–";
}
