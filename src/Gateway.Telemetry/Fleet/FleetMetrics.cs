using System.Diagnostics.Metrics;

namespace Gateway.Telemetry.Fleet;

/// <summary>
/// The fleet as <see cref="System.Diagnostics.Metrics"/> instruments of the meter <see cref="MeterName"/> (issue #21),
/// observed from <see cref="FleetState"/> when scraped; a served exporter (OpenTelemetry's in `gateway fleet`) turns
/// them into the Prometheus text format, dots becoming underscores and counters gaining _total. Labels: box, and destination where there is
/// one; destination names come from the boxes and are checked (1–64 characters, no control characters) but
/// otherwise kept as sent; the exporter escapes them. No patient data exists in these figures.
/// </summary>
public sealed class FleetMetrics : IDisposable
{
    public const string MeterName = "gateway";

    private readonly FleetState _state;
    private readonly Meter _meter;
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private IReadOnlyList<FleetBoxView> _snapshot = [];
    private DateTimeOffset _taken = DateTimeOffset.MinValue;

    public FleetMetrics(FleetState state, TimeProvider? time = null)
    {
        _state = state;
        _time = time ?? TimeProvider.System;
        _meter = new Meter(MeterName);
        Box("gateway.box.up", "1 when the box is online (retained status, will, not silent), else 0", b => b.Online ? 1 : 0);
        Box("gateway.box.last_seen_timestamp_seconds", "When the view last received anything from the box (Unix time)", b => b.LastSeen.ToUnixTimeSeconds());
        Box("gateway.box.uptime_seconds", "The box's process uptime as last reported", b => b.Health?.UptimeSeconds);
        Box("gateway.box.spool_entries", "Objects in the box's spool", b => b.Health?.Spool.Entries);
        Box("gateway.box.spool_bytes", "Bytes in the box's spool", b => b.Health?.Spool.Bytes);
        Box("gateway.box.disk_free_bytes", "Free bytes on the spool's disk", b => b.Health?.DiskFreeBytes);
        Box("gateway.box.memory_bytes", "The box process's memory", b => b.Health?.MemoryBytes);
        Box("gateway.box.cpu_temperature_celsius", "CPU temperature", b => b.Health?.CpuTemperatureC);
        Box("gateway.box.events_dropped", "Events the box dropped while its broker was away", b => b.Health?.EventsDropped);
        Box("gateway.box.device_connected", "1 when the device link is connected, 0 when not (absent without a device)",
            b => b.Health?.Device is { } d ? (d.Link == "connected" ? 1 : 0) : null);
        Box("gateway.box.device_acquired", "Acquisitions since the box started", b => b.Health?.Device?.Acquired);
        Box("gateway.box.device_failures", "Acquisition failures since the box started", b => b.Health?.Device?.Failures);
        Box("gateway.box.alarms", "Alarms raised for the box", b => b.Alarms.Count);
        Destination("gateway.destination.pending", "Objects waiting for the destination", d => d.Pending);
        Destination("gateway.destination.oldest_seconds", "Age of the oldest object waiting for the destination", d => d.OldestSeconds);
        Destination("gateway.destination.dead_letters", "Dead letters of the destination", d => d.DeadLetters);
        Destination("gateway.destination.failures", "Failed attempts since the box started", d => d.Failures);
        Destination("gateway.destination.awaiting_commitment", "Objects stored but not yet committed", d => d.AwaitingCommitment);
        Destination("gateway.destination.last_success_timestamp_seconds", "Last successful store (Unix time)", d => d.LastSuccess?.ToUnixTimeSeconds());
        _meter.CreateObservableGauge("gateway.fleet.boxes", () => (long)_state.BoxCount, description: "Boxes the fleet view knows");
        _meter.CreateObservableGauge("gateway.fleet.alarm", AlarmMeasurements, description: "1 while the alarm is raised for the box, else 0 (labels box and alarm)");
        _meter.CreateObservableCounter("gateway.fleet.dropped_messages", DropMeasurements, description: "Messages from the broker the view dropped, by reason");
        _meter.CreateObservableCounter("gateway.fleet.accepted_messages", () => _state.Accepted, description: "Messages from the broker the view took");
    }

    public void Dispose() => _meter.Dispose();

    /// <summary>One snapshot serves every instrument of a scrape (a second's worth).</summary>
    private IReadOnlyList<FleetBoxView> Boxes()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (now - _taken > TimeSpan.FromSeconds(1))
            {
                _snapshot = _state.Snapshot();
                _taken = now;
            }
            return _snapshot;
        }
    }

    private void Box(string name, string description, Func<FleetBoxView, double?> value) =>
        _meter.CreateObservableGauge(name, () => Boxes()
            .Select(b => (b, v: value(b)))
            .Where(x => x.v is not null)
            .Select(x => new Measurement<double>(x.v!.Value, new KeyValuePair<string, object?>("box", x.b.BoxId))), description: description);

    private void Destination(string name, string description, Func<DestinationHealth, double?> value) =>
        _meter.CreateObservableGauge(name, () => Boxes()
            .Where(b => b.Health is not null)
            .SelectMany(b => b.Health!.Destinations.Select(d => (b.BoxId, d.Name, v: value(d))))
            .Where(x => x.v is not null)
            .Select(x => new Measurement<double>(x.v!.Value,
                new KeyValuePair<string, object?>("box", x.BoxId), new KeyValuePair<string, object?>("destination", x.Name))), description: description);

    private IEnumerable<Measurement<long>> AlarmMeasurements() =>
        // Every kind, 0 or 1: an exporter keeps a series it no longer sees for a while, so a cleared alarm must say 0.
        Boxes().SelectMany(b => FleetAlarm.Kinds.Select(kind => new Measurement<long>(b.Alarms.Any(a => a.Kind == kind) ? 1 : 0,
            new KeyValuePair<string, object?>("box", b.BoxId), new KeyValuePair<string, object?>("alarm", kind))));

    private IEnumerable<Measurement<long>> DropMeasurements() =>
        Enum.GetValues<FleetDropReason>().Select(r => new Measurement<long>(_state.Dropped(r),
            new KeyValuePair<string, object?>("reason", r.ToString().ToLowerInvariant())));
}
