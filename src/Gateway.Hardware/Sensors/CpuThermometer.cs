using System.Globalization;

namespace Gateway.Hardware.Sensors;

/// <summary>
/// The SoC's temperature for the health message: thermal_zone0 in millidegrees Celsius, which is cpu-thermal on
/// Raspberry Pi OS and on Debian's arm64 kernel alike (bcm2835_thermal / brcmstb_thermal).
/// </summary>
/// <remarks>
/// Iot.Device.CpuTemperature (bindings 4.2) reads the same file the same way, and we compared it (issue #15; the test
/// CpuThermometerTests holds both to the same answer). We keep this reader because the binding is worse for a box:
/// it divides by 1000F, so 48312 m°C becomes 48.3120002746582 in the telemetry; its Temperature throws
/// ArgumentException (UnitsNet refuses NaN) whenever the zone exists but does not hold an integer, and lets an
/// IOException from a sensor in error through, where the health message wants "not available"; its path is fixed
/// and its availability cached at construction, so it cannot be tested; and it loads Iot.Device.Bindings, UnitsNet
/// and System.Management into the daemon — measured +3.5 MB RSS for one read, against #15's 80 MB budget.
/// </remarks>
public static class CpuThermometer
{
    public const string Zone0 = "/sys/class/thermal/thermal_zone0/temp";

    /// <summary>Degrees Celsius, or null when the box has no such zone or it cannot be read now.</summary>
    public static double? ReadCelsius(string zone = Zone0)
    {
        try
        {
            if (!File.Exists(zone))
                return null;
            using var reader = new StreamReader(zone);
            return long.TryParse(reader.ReadLine()?.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var milli)
                ? milli / 1000.0
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A thermal driver may fail a read (EIO, EAGAIN while the sensor converts): "not available" this time.
            return null;
        }
    }
}
