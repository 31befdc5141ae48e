using System.Diagnostics.Metrics;
using Gateway.Telemetry.Fleet;

namespace Gateway.Telemetry;

/// <summary>
/// A box's own figures as <see cref="System.Diagnostics.Metrics"/> instruments (issue #21, `metrics` in the box's
/// configuration): the per-box series of the fleet view (<see cref="BoxInstruments"/>, label box = the box's id),
/// read from the health message the box would publish (<paramref name="health"/>), at most once a second.
/// gateway_box_up is 1 while the process serves it. No patient data exists in these figures.
/// </summary>
public sealed class BoxMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly string _boxId;
    private readonly Func<HealthMessage> _health;
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private IReadOnlyList<FleetBoxView> _view = [];
    private DateTimeOffset _taken = DateTimeOffset.MinValue;

    public BoxMetrics(string boxId, Func<HealthMessage> health, TimeProvider? time = null)
    {
        _boxId = boxId;
        _health = health;
        _time = time ?? TimeProvider.System;
        _meter = new Meter(BoxInstruments.MeterName);
        BoxInstruments.Add(_meter, View);
    }

    private IReadOnlyList<FleetBoxView> View()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (now - _taken > TimeSpan.FromSeconds(1))
            {
                _view = [new FleetBoxView(_boxId, Online: true, Silent: false, Since: null, LastSeen: now, _health(), DeviceDisconnectedSince: null, [], [])];
                _taken = now;
            }
            return _view;
        }
    }

    public void Dispose() => _meter.Dispose();
}
