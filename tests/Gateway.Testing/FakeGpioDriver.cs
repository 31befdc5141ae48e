using System.Device.Gpio;

namespace Gateway.Testing;

/// <summary>
/// The GPIO hardware boundary in tests: a <see cref="GpioDriver"/> whose input levels the test sets (each change fires
/// the registered edge callbacks, as libgpiod would) and which records every level written to an output.
/// </summary>
public sealed class FakeGpioDriver : GpioDriver
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, PinValue> _levels = [];
    private readonly Dictionary<int, PinMode> _modes = [];
    private readonly Dictionary<int, List<(PinEventTypes Types, PinChangeEventHandler Handler)>> _callbacks = [];
    private readonly List<(int Pin, PinValue Value)> _writes = [];

    /// <summary>Every output write, in order.</summary>
    public IReadOnlyList<(int Pin, PinValue Value)> Writes
    {
        get
        {
            lock (_lock)
                return [.. _writes];
        }
    }

    public PinMode ModeOf(int pin)
    {
        lock (_lock)
            return _modes[pin];
    }

    /// <summary>Drives an input line to a level; callbacks for the edge run on the caller's thread.</summary>
    public void Drive(int pin, PinValue value)
    {
        List<(PinEventTypes Types, PinChangeEventHandler Handler)> handlers;
        PinValue old;
        lock (_lock)
        {
            old = _levels.GetValueOrDefault(pin, PinValue.High);
            _levels[pin] = value;
            handlers = _callbacks.TryGetValue(pin, out var list) ? [.. list] : [];
        }
        if (old == value)
            return;
        var edge = value == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
        foreach (var (types, handler) in handlers)
        {
            if ((types & edge) != 0)
                handler(this, new PinValueChangedEventArgs(edge, pin));
        }
    }

    protected override int PinCount => 64;

    protected override void OpenPin(int pinNumber)
    {
        lock (_lock)
        {
            _levels.TryAdd(pinNumber, PinValue.High);
            _modes[pinNumber] = PinMode.Input;
        }
    }

    protected override void ClosePin(int pinNumber)
    {
    }

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        lock (_lock)
        {
            _modes[pinNumber] = mode;
            if (mode == PinMode.InputPullDown)
                _levels[pinNumber] = PinValue.Low;
        }
    }

    protected override PinMode GetPinMode(int pinNumber)
    {
        lock (_lock)
            return _modes[pinNumber];
    }

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

    protected override PinValue Read(int pinNumber)
    {
        lock (_lock)
            return _levels.GetValueOrDefault(pinNumber, PinValue.High);
    }

    protected override void Write(int pinNumber, PinValue value)
    {
        lock (_lock)
        {
            _levels[pinNumber] = value;
            _writes.Add((pinNumber, value));
        }
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the gateway uses callbacks");

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        lock (_lock)
        {
            if (!_callbacks.TryGetValue(pinNumber, out var list))
                _callbacks[pinNumber] = list = [];
            list.Add((eventTypes, callback));
        }
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        lock (_lock)
        {
            if (_callbacks.TryGetValue(pinNumber, out var list))
                list.RemoveAll(c => c.Handler == callback);
        }
    }
}
