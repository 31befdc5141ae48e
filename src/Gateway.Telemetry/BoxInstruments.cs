using System.Diagnostics.Metrics;
using Gateway.Telemetry.Fleet;

namespace Gateway.Telemetry;

/// <summary>
/// The per-box series (issue #21), one definition for the fleet view (<see cref="FleetMetrics"/>: every box) and a
/// box's own /metrics (<see cref="BoxMetrics"/>: itself), so that one dashboard works for both: observable gauges of
/// the meter <see cref="MeterName"/>, label box, and destination on the gateway.destination.* ones, read from the
/// boxes <paramref name="boxes"/> returns at each scrape.
/// </summary>
public static class BoxInstruments
{
    public const string MeterName = "gateway";

    public static void Add(Meter meter, Func<IReadOnlyList<FleetBoxView>> boxes)
    {
        Box(meter, boxes, "gateway.box.up", "1 when the box is online (retained status, will, not silent), else 0", b => b.Online ? 1 : 0);
        Box(meter, boxes, "gateway.box.last_seen_timestamp_seconds", "When the view last received anything from the box (Unix time)", b => b.LastSeen.ToUnixTimeSeconds());
        Box(meter, boxes, "gateway.box.uptime_seconds", "The box's process uptime as last reported", b => b.Health?.UptimeSeconds);
        Box(meter, boxes, "gateway.box.spool_entries", "Objects in the box's spool", b => b.Health?.Spool.Entries);
        Box(meter, boxes, "gateway.box.spool_bytes", "Bytes in the box's spool", b => b.Health?.Spool.Bytes);
        Box(meter, boxes, "gateway.box.disk_free_bytes", "Free bytes on the spool's disk", b => b.Health?.DiskFreeBytes);
        Box(meter, boxes, "gateway.box.memory_bytes", "The box process's memory", b => b.Health?.MemoryBytes);
        Box(meter, boxes, "gateway.box.cpu_temperature_celsius", "CPU temperature", b => b.Health?.CpuTemperatureC);
        Box(meter, boxes, "gateway.box.events_dropped", "Events the box dropped while its broker was away", b => b.Health?.EventsDropped);
        Box(meter, boxes, "gateway.box.device_connected", "1 when the device link is connected, 0 when not (absent without a device)",
            b => b.Health?.Device is { } d ? (d.Link == "connected" ? 1 : 0) : null);
        Box(meter, boxes, "gateway.box.device_acquired", "Acquisitions since the box started", b => b.Health?.Device?.Acquired);
        Box(meter, boxes, "gateway.box.device_failures", "Acquisition failures since the box started", b => b.Health?.Device?.Failures);
        Destination(meter, boxes, "gateway.destination.pending", "Objects waiting for the destination", d => d.Pending);
        Destination(meter, boxes, "gateway.destination.oldest_seconds", "Age of the oldest object waiting for the destination", d => d.OldestSeconds);
        Destination(meter, boxes, "gateway.destination.dead_letters", "Dead letters of the destination", d => d.DeadLetters);
        Destination(meter, boxes, "gateway.destination.failures", "Failed attempts since the box started", d => d.Failures);
        Destination(meter, boxes, "gateway.destination.awaiting_commitment", "Objects stored but not yet committed", d => d.AwaitingCommitment);
        Destination(meter, boxes, "gateway.destination.last_success_timestamp_seconds", "Last successful store (Unix time)", d => d.LastSuccess?.ToUnixTimeSeconds());
    }

    public static void Box(Meter meter, Func<IReadOnlyList<FleetBoxView>> boxes, string name, string description, Func<FleetBoxView, double?> value) =>
        meter.CreateObservableGauge(name, () => boxes()
            .Select(b => (b, v: value(b)))
            .Where(x => x.v is not null)
            .Select(x => new Measurement<double>(x.v!.Value, new KeyValuePair<string, object?>("box", x.b.BoxId))), description: description);

    private static void Destination(Meter meter, Func<IReadOnlyList<FleetBoxView>> boxes, string name, string description, Func<DestinationHealth, double?> value) =>
        meter.CreateObservableGauge(name, () => boxes()
            .Where(b => b.Health is not null)
            .SelectMany(b => b.Health!.Destinations.Select(d => (b.BoxId, d.Name, v: value(d))))
            .Where(x => x.v is not null)
            .Select(x => new Measurement<double>(x.v!.Value,
                new KeyValuePair<string, object?>("box", x.BoxId), new KeyValuePair<string, object?>("destination", x.Name))), description: description);
}
