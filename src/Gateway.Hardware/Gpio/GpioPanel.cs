using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using Gateway.Hardware.Profiles;
using Microsoft.Extensions.Logging;

namespace Gateway.Hardware.Gpio;

/// <summary>What the gateway shows on its status outputs (LEDs, a buzzer).</summary>
public enum PanelState
{
    Ready,
    Busy,
    Error,
}

/// <summary>
/// The profile's GPIO lines: debounced trigger inputs (foot switch, exposure-done line) and the ready / busy / error
/// outputs. The <see cref="GpioDriver"/> is the hardware boundary: libgpiod on the box, a test double in tests.
/// Debounce: after any edge the line must keep its level for debounceMs; only then does a change count, and only a
/// change in the profile's direction (falling: high → low) acts — a bouncing contact makes one trigger.
/// </summary>
/// <remarks>
/// Why not Iot.Device.Button's GpioButton (bindings 4.2, compared for issue #15 in GpioButtonComparisonTests): its
/// debounce is a lock-out after the first edge, so the first edge of any pulse acts at once — a spike on a long
/// foot-switch cable or a relay's contact chatter requests an exposure — where ours acts only on a level that has held
/// for debounceMs. Its clock is DateTime.UtcNow and its hold timer a System.Threading.Timer, so debounce, hold and
/// double press cannot be driven by an injected TimeProvider and could only be tested by sleeping. Ours reads the
/// level once the line has settled, so what acts is what the line is, not what the last edge said. Hold and double
/// press are not actions any profile has; when one needs them they belong here, on the same TimeProvider.
/// </remarks>
public sealed class GpioPanel : IDisposable
{
    private readonly GpioController _controller;
    private readonly GpioSettings _settings;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly List<Input> _inputs = [];
    private readonly List<PinChangeEventHandler> _handlers = [];
    private PanelState? _shown;

    public GpioPanel(GpioSettings settings, GpioDriver driver, ILogger logger, TimeProvider? time = null)
    {
        _settings = settings;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _controller = new GpioController(driver);
        foreach (var output in Outputs())
            _controller.OpenPin(output.Line, PinMode.Output, output.ActiveLow ? PinValue.High : PinValue.Low);
        foreach (var config in settings.Inputs)
        {
            var mode = config.Bias switch { "pull-up" => PinMode.InputPullUp, "pull-down" => PinMode.InputPullDown, _ => PinMode.Input };
            _controller.OpenPin(config.Line, mode);
            var input = new Input(config, _controller.Read(config.Line));
            input.Timer = _time.CreateTimer(_ => Settle(input), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _inputs.Add(input);
            PinChangeEventHandler handler = (_, _) => Edge(input);
            _handlers.Add(handler);
            _controller.RegisterCallbackForPinValueChangedEvent(config.Line, PinEventTypes.Rising | PinEventTypes.Falling, handler);
        }
    }

    /// <summary>Opens the box's GPIO chip with the profile's driver.</summary>
    public static GpioDriver OpenDriver(GpioSettings settings) => settings.Driver == "sysfs" ? new SysFsDriver() : new LibGpiodDriver(settings.Chip);

    /// <summary>A trigger input acted (after debounce): its configuration says what to do. Raised on a timer thread.</summary>
    public event Action<GpioInput>? Triggered;

    /// <summary>A trigger input that acted went back to rest (after debounce): the foot switch was let go (press-and-hold clips).</summary>
    public event Action<GpioInput>? Released;

    public void Show(PanelState state)
    {
        lock (_lock)
        {
            if (_shown == state)
                return;
            _shown = state;
            Set(_settings.Outputs.Ready, state == PanelState.Ready);
            Set(_settings.Outputs.Busy, state == PanelState.Busy);
            Set(_settings.Outputs.Error, state == PanelState.Error);
        }
    }

    private void Set(GpioOutput? output, bool on)
    {
        if (output is not null)
            _controller.Write(output.Line, on != output.ActiveLow ? PinValue.High : PinValue.Low);
    }

    private IEnumerable<GpioOutput> Outputs() =>
        new[] { _settings.Outputs.Ready, _settings.Outputs.Busy, _settings.Outputs.Error }.OfType<GpioOutput>();

    private static void Edge(Input input) =>
        // Every edge restarts the quiet period; the level is judged when the contact has stopped bouncing.
        input.Timer!.Change(TimeSpan.FromMilliseconds(input.Config.DebounceMs), Timeout.InfiniteTimeSpan);

    private void Settle(Input input)
    {
        PinValue level;
        lock (_lock)
        {
            level = _controller.Read(input.Config.Line);
            if (level == input.Stable)
                return;
            input.Stable = level;
        }
        var acts = input.Config.Edge == "falling" ? level == PinValue.Low : level == PinValue.High;
        if (!acts)
        {
            Released?.Invoke(input.Config);
            return;
        }
        HardwareLog.Trigger(_logger, input.Config.Name, input.Config.Line, input.Config.Action);
        Triggered?.Invoke(input.Config);
    }

    public void Dispose()
    {
        for (var i = 0; i < _inputs.Count; i++)
        {
            _controller.UnregisterCallbackForPinValueChangedEvent(_inputs[i].Config.Line, _handlers[i]);
            _inputs[i].Timer?.Dispose();
        }
        _controller.Dispose();
    }

    private sealed class Input(GpioInput config, PinValue stable)
    {
        public GpioInput Config { get; } = config;
        public PinValue Stable { get; set; } = stable;
        public ITimer? Timer { get; set; }
    }
}
