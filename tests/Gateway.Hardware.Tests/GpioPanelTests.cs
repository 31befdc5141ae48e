using System.Device.Gpio;
using Gateway.Hardware.Gpio;
using Gateway.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Hardware.Tests;

public sealed class GpioPanelTests
{
    private static readonly Hardware.Profiles.GpioSettings Endoscope = Profiles.Load("endoscope-footswitch").Gpio!;

    [Fact]
    public void A_bouncing_foot_switch_makes_exactly_one_trigger_per_press()
    {
        var driver = new FakeGpioDriver();
        var time = new FakeTimeProvider();
        using var panel = new GpioPanel(Endoscope, driver, NullLogger.Instance, time);
        var triggers = 0;
        panel.Triggered += _ => triggers++;
        Assert.Equal(PinMode.InputPullUp, driver.ModeOf(17));

        // Press: the contact bounces for 8 ms (edges 1 ms apart), then stays closed (low).
        for (var i = 0; i < 8; i++)
        {
            driver.Drive(17, i % 2 == 0 ? PinValue.Low : PinValue.High);
            time.Advance(TimeSpan.FromMilliseconds(1));
        }
        driver.Drive(17, PinValue.Low);
        time.Advance(TimeSpan.FromMilliseconds(29));
        Assert.Equal(0, triggers); // still within the 30 ms debounce after the last edge
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, triggers);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, triggers);

        // Release with bounce: a rising change does not act on a falling-edge input.
        driver.Drive(17, PinValue.High);
        driver.Drive(17, PinValue.Low);
        driver.Drive(17, PinValue.High);
        time.Advance(TimeSpan.FromMilliseconds(30));
        Assert.Equal(1, triggers);

        // A glitch shorter than the debounce time is no press.
        driver.Drive(17, PinValue.Low);
        time.Advance(TimeSpan.FromMilliseconds(5));
        driver.Drive(17, PinValue.High);
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, triggers);

        // The second real press.
        driver.Drive(17, PinValue.Low);
        time.Advance(TimeSpan.FromMilliseconds(30));
        Assert.Equal(2, triggers);
    }

    [Fact]
    public void The_lights_show_one_state_at_a_time_and_active_low_outputs_are_inverted()
    {
        var settings = Endoscope with { Outputs = Endoscope.Outputs with { Error = new() { Line = 24, ActiveLow = true } } };
        var driver = new FakeGpioDriver();
        using var panel = new GpioPanel(settings, driver, NullLogger.Instance, new FakeTimeProvider());
        var before = driver.Writes.Count;
        panel.Show(PanelState.Ready);
        panel.Show(PanelState.Ready); // no change, no writes
        panel.Show(PanelState.Error);
        Assert.Equal(
            [(22, PinValue.High), (23, PinValue.Low), (24, PinValue.High), (22, PinValue.Low), (23, PinValue.Low), (24, PinValue.Low)],
            driver.Writes.Skip(before));
    }
}
