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
    public const string MeterName = BoxInstruments.MeterName;

    private readonly FleetState _state;
    private readonly Meter _meter;
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private IReadOnlyList<FleetBoxView> _snapshot = [];
    private DateTimeOffset _taken = DateTimeOffset.MinValue;
    private readonly HashSet<string> _censusBoxes = new(StringComparer.Ordinal);
    private readonly HashSet<(string Box, string Destination)> _censusDestinations = [];

    public FleetMetrics(FleetState state, TimeProvider? time = null)
    {
        _state = state;
        _time = time ?? TimeProvider.System;
        _meter = new Meter(MeterName);
        // The per-box series are the box's own /metrics too (BoxMetrics): one dashboard for both.
        BoxInstruments.Add(_meter, Boxes);
        BoxInstruments.Box(_meter, Boxes, "gateway.box.alarms", "Alarms raised for the box", b => b.Alarms.Count);
        _meter.CreateObservableGauge("gateway.fleet.boxes", () => (long)_state.BoxCount, description: "Boxes the fleet view knows");
        _meter.CreateObservableGauge("gateway.fleet.alarm", AlarmMeasurements, description: "1 while the alarm is raised for the box, else 0 (labels box and alarm)");
        _meter.CreateObservableCounter("gateway.fleet.dropped_messages", DropMeasurements, description: "Messages from the broker the view dropped, by reason");
        _meter.CreateObservableCounter("gateway.fleet.accepted_messages", () => _state.Accepted, description: "Messages from the broker the view took");
    }

    public void Dispose() => _meter.Dispose();

    /// <summary>
    /// How many series an instrument may have for an exporter's cardinality limit, for <paramref name="boxes"/> boxes
    /// with <paramref name="destinations"/> destinations between them: one per box, six per box for the alarms, one per
    /// box and destination for the destination series, and one more each for the exporter's overflow series.
    /// OpenTelemetry allocates them up front (~100 bytes each), so the view sizes them to the fleet it has
    /// (<see cref="Census"/>), not to limits.maxBoxes.
    /// </summary>
    public static int SeriesLimit(string instrument, int boxes, int destinations) => instrument switch
    {
        "gateway.fleet.alarm" => (boxes * FleetAlarm.Kinds.Count) + 1,
        "gateway.fleet.boxes" or "gateway.fleet.accepted_messages" => 2,
        "gateway.fleet.dropped_messages" => Enum.GetValues<FleetDropReason>().Length + 1,
        _ when instrument.StartsWith("gateway.destination.", StringComparison.Ordinal) => destinations + 1,
        _ => boxes + 1,
    };

    /// <summary>
    /// The boxes and the (box, destination) pairs exported since the last <see cref="ResetCensus"/>, with a fresh
    /// snapshot that the scrape right after it then reads: an exporter with cumulative series keeps every series it
    /// ever saw (a destination renamed leaves its old series behind), so these are what it holds, not only what is now.
    /// </summary>
    public (int Boxes, int Destinations) Census()
    {
        lock (_lock)
        {
            _snapshot = _state.Snapshot();
            _taken = _time.GetUtcNow();
            foreach (var box in _snapshot)
            {
                _censusBoxes.Add(box.BoxId);
                foreach (var d in box.Health?.Destinations ?? [])
                    _censusDestinations.Add((box.BoxId, d.Name));
            }
            return (_censusBoxes.Count, _censusDestinations.Count);
        }
    }

    /// <summary>Forgets the series counted so far (the exporter that held them was replaced by an empty one).</summary>
    public void ResetCensus()
    {
        lock (_lock)
        {
            _censusBoxes.Clear();
            _censusDestinations.Clear();
        }
    }

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

    private IEnumerable<Measurement<long>> AlarmMeasurements() =>
        // Every kind, 0 or 1: an exporter keeps a series it no longer sees for a while, so a cleared alarm must say 0.
        Boxes().SelectMany(b => FleetAlarm.Kinds.Select(kind => new Measurement<long>(b.Alarms.Any(a => a.Kind == kind) ? 1 : 0,
            new KeyValuePair<string, object?>("box", b.BoxId), new KeyValuePair<string, object?>("alarm", kind))));

    private IEnumerable<Measurement<long>> DropMeasurements() =>
        Enum.GetValues<FleetDropReason>().Select(r => new Measurement<long>(_state.Dropped(r),
            new KeyValuePair<string, object?>("reason", r.ToString().ToLowerInvariant())));
}
