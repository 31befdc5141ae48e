using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Telemetry.Fleet;

namespace Gateway.Host.Fleet;

/// <summary>
/// `gateway fleet --config FILE` (issue #21; README "Running a fleet"): the topic prefix, the boxes' health interval,
/// who may read /metrics, the view's bounds and the alarm thresholds (null turns an alarm off). Read strictly:
/// unknown keys and out-of-range values are refused with every problem named. Its properties have setters, not
/// init accessors: a source-generated reader (<see cref="FleetConfigJson"/>) sets an init-only property that the file
/// leaves out to its type's default (null, 0), not to the value given here.
/// </summary>
public sealed record FleetConfig
{
    public string TopicPrefix { get; set; } = "gateway";
    public int HealthIntervalSeconds { get; set; } = 30;
    public int SilentAfterIntervals { get; set; } = 3;

    /// <summary>Boxes offline and not heard from this long are forgotten, their retained alarm deleted; null keeps them.</summary>
    public double? ForgetAfterHours { get; set; } = 168;

    public List<string> MetricsAllow { get; set; } = ["127.0.0.0/8", "::1/128"];
    public FleetLimitsConfig Limits { get; set; } = new();
    public FleetAlarmsConfig Alarms { get; set; } = new();

    public static FleetConfig Load(string path, out List<string> problems)
    {
        var text = File.ReadAllText(path);
        // Every problem at once: unknown keys and wrong kinds, then the checks of the rest when only keys were wrong.
        // Through a source-generated contract: the native `gateway` runs the fleet view (without its page) itself.
        var config = Gateway.Shared.StrictJson.Read(text, FleetConfigJson.Default.FleetConfig, c => c.Validate(), out problems);
        return config ?? new FleetConfig();
    }

    public List<string> Validate()
    {
        var p = new List<string>();
        if (TopicPrefix.Length == 0 || TopicPrefix.IndexOfAny(['+', '#']) >= 0 || TopicPrefix.EndsWith('/') || TopicPrefix.Length > 128)
            p.Add($"topicPrefix: '{TopicPrefix}' must be a topic without wildcards or a trailing '/'");
        if (HealthIntervalSeconds is < 1 or > 3600)
            p.Add($"healthIntervalSeconds: {HealthIntervalSeconds} is not between 1 and 3600 (the boxes' mqtt.healthIntervalSeconds)");
        if (SilentAfterIntervals is < 2 or > 100)
            p.Add($"silentAfterIntervals: {SilentAfterIntervals} is not between 2 and 100");
        if (ForgetAfterHours is { } f && (!double.IsFinite(f) || f <= 0 || f > 87_600))
            p.Add($"forgetAfterHours: {f.ToString(CultureInfo.InvariantCulture)} is not above 0 and at most 87600 (null keeps every box)");
        for (var i = 0; i < MetricsAllow.Count; i++)
        {
            if (!IPNetwork.TryParse(MetricsAllow[i], out _))
                p.Add($"metricsAllow[{i}]: '{MetricsAllow[i]}' is not a network (ADDRESS/PREFIX, e.g. 10.1.0.0/16)");
        }
        if (Limits.MaxBoxes is < 1 or > 100_000)
            p.Add($"limits.maxBoxes: {Limits.MaxBoxes} is not between 1 and 100000");
        if (Limits.EventsPerBox is < 0 or > 1000)
            p.Add($"limits.eventsPerBox: {Limits.EventsPerBox} is not between 0 and 1000");
        if (Limits.MaxPayloadBytes is < 1024 or > 1024 * 1024)
            p.Add($"limits.maxPayloadBytes: {Limits.MaxPayloadBytes} is not between 1024 and 1048576");
        Positive(p, "alarms.offlineMinutes", Alarms.OfflineMinutes);
        Positive(p, "alarms.spoolOldestMinutes", Alarms.SpoolOldestMinutes);
        Positive(p, "alarms.diskFreeBelowMiB", Alarms.DiskFreeBelowMiB);
        Positive(p, "alarms.deviceDisconnectedMinutes", Alarms.DeviceDisconnectedMinutes);
        if (Alarms.TemperatureAboveC is { } t && (!double.IsFinite(t) || t is < 0 or > 150))
            p.Add($"alarms.temperatureAboveC: {t.ToString(CultureInfo.InvariantCulture)} is not between 0 and 150");
        return p;
    }

    private static void Positive(List<string> p, string key, double? value)
    {
        if (value is { } v && (!double.IsFinite(v) || v <= 0 || v > 10_000_000))
            p.Add($"{key}: {v.ToString(CultureInfo.InvariantCulture)} must be above 0 (null turns the alarm off)");
    }

    public FleetOptions ToOptions() => new()
    {
        TopicPrefix = TopicPrefix,
        HealthInterval = TimeSpan.FromSeconds(HealthIntervalSeconds),
        SilentAfterIntervals = SilentAfterIntervals,
        ForgetAfter = ForgetAfterHours is { } hours ? TimeSpan.FromHours(hours) : null,
        MaxBoxes = Limits.MaxBoxes,
        EventsPerBox = Limits.EventsPerBox,
        MaxPayloadBytes = Limits.MaxPayloadBytes,
        Alarms = new FleetAlarmThresholds
        {
            Offline = Alarms.OfflineMinutes is { } o ? TimeSpan.FromMinutes(o) : null,
            SpoolOldest = Alarms.SpoolOldestMinutes is { } s ? TimeSpan.FromMinutes(s) : null,
            DeadLetters = Alarms.DeadLetters,
            DiskFreeBelowBytes = Alarms.DiskFreeBelowMiB is { } d ? (long)(d * 1024 * 1024) : null,
            TemperatureAboveC = Alarms.TemperatureAboveC,
            DeviceDisconnected = Alarms.DeviceDisconnectedMinutes is { } z ? TimeSpan.FromMinutes(z) : null,
        },
    };
}

public sealed record FleetLimitsConfig
{
    public int MaxBoxes { get; set; } = 5000;
    public int EventsPerBox { get; set; } = 50;
    public int MaxPayloadBytes { get; set; } = 64 * 1024;
}

public sealed record FleetAlarmsConfig
{
    public double? OfflineMinutes { get; set; } = 5;
    public double? SpoolOldestMinutes { get; set; } = 60;
    public bool DeadLetters { get; set; } = true;
    public double? DiskFreeBelowMiB { get; set; } = 1024;
    public double? TemperatureAboveC { get; set; } = 80;
    public double? DeviceDisconnectedMinutes { get; set; } = 10;
}

/// <summary>The contract of the fleet's configuration file, generated at build time; the options are <c>StrictJson.Options</c>'s.</summary>
[JsonSerializable(typeof(FleetConfig))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, WriteIndented = true)]
internal sealed partial class FleetConfigJson : JsonSerializerContext;
