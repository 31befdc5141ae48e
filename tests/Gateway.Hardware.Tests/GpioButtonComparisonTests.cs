using System.Device.Gpio;
using Gateway.Hardware.Gpio;
using Gateway.Testing;
using Iot.Device.Button;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Hardware.Tests;

/// <summary>
/// Iot.Device.Button's GpioButton (bindings 4.2) against our debounce in <see cref="GpioPanel"/>, on the same fake
/// GPIO driver (issue #15). Only deterministic cases: the binding's clock is DateTime.UtcNow and its hold timer a
/// System.Threading.Timer, so anything that depends on elapsed time could only be tested by sleeping.
/// </summary>
public sealed class GpioButtonComparisonTests
{
    private static readonly Hardware.Profiles.GpioSettings Endoscope = Profiles.Load("endoscope-footswitch").Gpio!;

    [Fact]
    public void A_glitch_on_the_foot_switch_cable_is_a_press_for_the_binding_and_nothing_for_ours()
    {
        // A spike on a long foot-switch cable: the line goes low and straight back high.
        var bindingDriver = new FakeGpioDriver();
        using var controller = new GpioController(bindingDriver);
        using var button = new GpioButton(17, isPullUp: true, hasExternalResistor: false, gpio: controller, shouldDispose: false,
            debounceTime: TimeSpan.FromMilliseconds(30));
        var downs = 0;
        button.ButtonDown += (_, _) => downs++;
        bindingDriver.Drive(17, PinValue.Low);
        bindingDriver.Drive(17, PinValue.High);
        // Its debounce is a lock-out after the first edge: the first edge acts at once, however short the pulse.
        Assert.Equal(1, downs);

        var ourDriver = new FakeGpioDriver();
        var time = new FakeTimeProvider();
        using var panel = new GpioPanel(Endoscope, ourDriver, NullLogger.Instance, time);
        var triggers = 0;
        panel.Triggered += _ => triggers++;
        ourDriver.Drive(17, PinValue.Low);
        ourDriver.Drive(17, PinValue.High);
        time.Advance(TimeSpan.FromSeconds(1));
        // Ours acts on a level that has held for debounceMs: the spike makes no exposure request.
        Assert.Equal(0, triggers);
    }

    [Fact]
    public void A_bouncing_press_is_one_press_for_both()
    {
        var bindingDriver = new FakeGpioDriver();
        using var controller = new GpioController(bindingDriver);
        using var button = new GpioButton(17, isPullUp: true, hasExternalResistor: false, gpio: controller, shouldDispose: false,
            debounceTime: TimeSpan.FromMilliseconds(30));
        var downs = 0;
        button.ButtonDown += (_, _) => downs++;
        var ourDriver = new FakeGpioDriver();
        var time = new FakeTimeProvider();
        using var panel = new GpioPanel(Endoscope, ourDriver, NullLogger.Instance, time);
        var triggers = 0;
        panel.Triggered += _ => triggers++;

        foreach (var level in new[] { PinValue.Low, PinValue.High, PinValue.Low, PinValue.High, PinValue.Low })
        {
            bindingDriver.Drive(17, level);
            ourDriver.Drive(17, level);
        }
        time.Advance(TimeSpan.FromMilliseconds(30));
        Assert.Equal(1, downs);
        Assert.Equal(1, triggers);
    }
}
