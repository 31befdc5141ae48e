using Gateway.Configuration;
using Gateway.Hardware.Profiles;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Pages;

/// <summary>
/// Choose the device: a profile from the profiles directory and a serial port from those present. Only names offered
/// by the page are accepted (a posted value is looked up in the lists, never used as a path).
/// </summary>
public sealed class DeviceModel(IGatewayControl control, WebState state, ILoggerFactory loggers) : PageModel
{
    private static readonly string[] PortPatterns = ["ttyUSB*", "ttyACM*", "ttyAMA*", "ttyS[0-3]", "gateway-*", "serial?"];

    public string ProfilesDirectory => state.Config.ProfilesDirectory;
    public DeviceConfig? Current => control.Config.Device;
    public string CurrentLines => Current?.GpioLines is { } lines ? string.Join(", ", lines.Select(l => $"{l.Key}={l.Value}")) : "";
    public IReadOnlyList<(string Name, string Description)> Profiles { get; private set; } = [];
    public IReadOnlyList<string> Ports { get; private set; } = [];
    public string? Message { get; private set; }
    public bool MessageOk { get; private set; }

    public void OnGet() => Load();

    public void OnPostSave(string? profile, string? port, bool gpio, string? baud, string? gpioChip, string? gpioLines)
    {
        Load();
        DeviceConfig? device = null;
        if (!string.IsNullOrEmpty(profile))
        {
            if (!Profiles.Any(p => p.Name == profile))
            {
                Message = $"profile: '{profile}' is not one of the profiles in {ProfilesDirectory}";
                return;
            }
            if (!string.IsNullOrEmpty(port) && !Ports.Contains(port))
            {
                Message = $"serial port: '{port}' is not a port of this box";
                return;
            }
            if (!Number(baud, "device.baud", out var baudRate) || !Number(gpioChip, "device.gpioChip", out var chip) || !Lines(gpioLines, out var lines))
                return;
            device = new DeviceConfig
            {
                Profile = Path.Combine(ProfilesDirectory, profile + ".json"),
                SerialPort = string.IsNullOrEmpty(port) ? null : port,
                Gpio = gpio,
                Baud = baudRate,
                GpioChip = chip,
                GpioLines = lines,
            };
        }
        var problems = control.SaveConfig(control.Config with { Device = device });
        if (problems.Count > 0)
        {
            Message = string.Join("; ", problems);
            return;
        }
        this.Audit(loggers, $"device set to {profile ?? "none"}");
        Message = device is null ? "No device: acquisition stopped." : $"Acquiring from {profile} now.";
        MessageOk = true;
    }

    public void OnPostCapture()
    {
        Load();
        MessageOk = control.RequestCapture();
        Message = MessageOk ? "Frame requested: watch the status page." : "The device cannot be asked for a frame (it streams on its own, or it is not connected).";
    }

    private bool Number(string? text, string key, out int? value)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(text))
            return true;
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            value = n;
            return true;
        }
        Message = $"{key}: '{text}' is not a number";
        return false;
    }

    /// <summary>"name=line, name=line" → the wiring; the names are checked against the profile when it is saved.</summary>
    private bool Lines(string? text, out Dictionary<string, int>? lines)
    {
        lines = null;
        if (string.IsNullOrWhiteSpace(text))
            return true;
        lines = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !int.TryParse(part[(eq + 1)..].Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var line))
            {
                Message = $"device.gpioLines: '{part}' is not name=line (e.g. footswitch=17)";
                return false;
            }
            lines[part[..eq].Trim()] = line;
        }
        return true;
    }

    private void Load()
    {
        var profiles = new List<(string, string)>();
        if (Directory.Exists(ProfilesDirectory))
        {
            foreach (var file in Directory.EnumerateFiles(ProfilesDirectory, "*.json").Order(StringComparer.Ordinal))
            {
                try
                {
                    profiles.Add((Path.GetFileNameWithoutExtension(file), ProfileLoader.Load(file).Description));
                }
                catch (ProfileException)
                {
                    // An invalid profile is not offered; `gateway run` names its problems when it is configured.
                }
            }
        }
        Profiles = profiles;
        var ports = PortPatterns.SelectMany(p => Directory.Exists("/dev") ? Directory.EnumerateFileSystemEntries("/dev", p) : []).ToList();
        if (Directory.Exists("/dev/serial/by-id"))
            ports.AddRange(Directory.EnumerateFileSystemEntries("/dev/serial/by-id"));
        if (Current?.SerialPort is { } configured && !ports.Contains(configured))
            ports.Add(configured);
        Ports = [.. ports.Distinct().Order(StringComparer.Ordinal)];
    }
}
