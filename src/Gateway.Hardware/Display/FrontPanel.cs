using System.Device.I2c;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Gateway.Hardware.Display;

/// <summary>Opens the box's front panel, if the configuration has one.</summary>
public static class FrontPanel
{
    /// <summary>
    /// The configured display, or null when there is none (no <c>display</c> section). Does no I/O: the display is
    /// opened by the first <see cref="IFrontPanel.Show"/>, so a wedged bus cannot delay start-up. Never throws for a display
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

    /// <summary>
    /// The address a technician types into a browser for this box: the IPv4 address of the interface that has the
    /// default route (the ward's network), else of any interface that is up; null without a network.
    /// </summary>
    public static string? LocalAddress()
    {
        try
        {
            var up = NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
                .Select(n => n.GetIPProperties())
                .ToList();
            static string? V4(IPInterfaceProperties p) =>
                p.UnicastAddresses.FirstOrDefault(a => a.Address.AddressFamily == AddressFamily.InterNetwork)?.Address.ToString();
            return up.Where(p => p.GatewayAddresses.Count > 0).Select(V4).FirstOrDefault(a => a is not null)
                ?? up.Select(V4).FirstOrDefault(a => a is not null);
        }
        catch (NetworkInformationException)
        {
            return null;
        }
    }
}
