using System.Device.I2c;
using Microsoft.Extensions.Logging;

namespace Gateway.Hardware.Display;

/// <summary>Opens the box's front panel, if the configuration has one.</summary>
public static class FrontPanel
{
    /// <summary>
    /// The configured display, or null when there is none (no <c>display</c> section). Never throws for a display
    /// that is missing or does not answer: it is logged once (4102) and looked for again every retrySeconds; the panel
    /// returned shows the status as soon as the display answers (4101). <paramref name="config"/> must be valid
    /// (<see cref="DisplayConfig.Validate"/>; the configuration validator checks it at start).
    /// </summary>
    public static IFrontPanel? Open(DisplayConfig? config, ILogger logger, TimeProvider? time = null) =>
        config is null ? null : Open(config, logger, time ?? TimeProvider.System, I2cDevice.Create);

    /// <summary>As above with the I²C bus as a seam (tests pass a recording fake).</summary>
    internal static IFrontPanel Open(DisplayConfig config, ILogger logger, TimeProvider time, Func<I2cConnectionSettings, I2cDevice> openBus)
    {
        var problems = config.Validate();
        if (problems.Count > 0)
            throw new ArgumentException(string.Join("; ", problems), nameof(config));
        return new I2cFrontPanel(config, logger, time, openBus);
    }
}
