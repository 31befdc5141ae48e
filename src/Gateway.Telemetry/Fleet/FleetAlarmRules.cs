using System.Globalization;

namespace Gateway.Telemetry.Fleet;

/// <summary>
/// The alarm rules of issue #21, one per threshold of <see cref="FleetAlarmThresholds"/>, over what the box last
/// reported. An alarm keeps the time it was first raised while it stays raised. The health-based alarms of a box
/// that went offline stay as last reported (the view knows nothing newer); the offline alarm says so.
/// </summary>
internal static class FleetAlarmRules
{
    public static IReadOnlyList<FleetAlarm> Evaluate(FleetBoxView box, FleetOptions options, DateTimeOffset now, IReadOnlyList<FleetAlarm> before)
    {
        var t = options.Alarms;
        var raised = new List<FleetAlarm>();
        void Raise(string kind, DateTimeOffset since, string detail) =>
            raised.Add(before.FirstOrDefault(a => a.Kind == kind) is { } kept ? kept with { Detail = detail } : new FleetAlarm(kind, since, detail));

        if (t.Offline is { } offline && !box.Online && box.Since is { } since && now - since > offline)
            Raise(FleetAlarm.Offline, since, box.Silent ? $"silent since {since:O}" : $"offline since {since:O}");
        if (box.Health is { } h)
        {
            if (t.SpoolOldest is { } oldest && h.Destinations.Where(d => d.OldestSeconds is not null).MaxBy(d => d.OldestSeconds) is { } d
                && TimeSpan.FromSeconds(d.OldestSeconds!.Value) > oldest)
                Raise(FleetAlarm.SpoolOldest, now, string.Create(CultureInfo.InvariantCulture, $"{d.Name}: oldest waiting {d.OldestSeconds} s"));
            if (t.DeadLetters && h.Destinations.Sum(x => (long)x.DeadLetters) is > 0 and var dead)
                Raise(FleetAlarm.DeadLetters, now, string.Create(CultureInfo.InvariantCulture,
                    $"{dead} dead letter(s): {string.Join(", ", h.Destinations.Where(x => x.DeadLetters > 0).Select(x => x.Name))}"));
            if (t.DiskFreeBelowBytes is { } disk && h.DiskFreeBytes is { } free && free < disk)
                Raise(FleetAlarm.DiskLow, now, string.Create(CultureInfo.InvariantCulture, $"{free / (1024 * 1024)} MiB free"));
            if (t.TemperatureAboveC is { } hot && h.CpuTemperatureC is { } c && c > hot)
                Raise(FleetAlarm.TemperatureHigh, now, string.Create(CultureInfo.InvariantCulture, $"{c:F1} °C"));
        }
        if (t.DeviceDisconnected is { } unplugged && box.DeviceDisconnectedSince is { } off && now - off > unplugged)
            Raise(FleetAlarm.DeviceDisconnected, off, $"device disconnected since {off:O}");
        return raised;
    }
}
