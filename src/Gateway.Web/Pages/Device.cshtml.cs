using System.Globalization;
using Gateway.Configuration;
using Gateway.Hardware.Profiles;
using Gateway.Shared;
using Gateway.Web.Logging;
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

    private readonly Dictionary<string, string> _fieldErrors = new(StringComparer.Ordinal);

    /// <summary>The device form's values: the configuration's, or what was typed when it was refused.</summary>
    public sealed record DeviceForm(string Profile, string Port, string Baud, bool Gpio, string GpioChip, string GpioLines);

    public string ProfilesDirectory => state.Config.ProfilesDirectory;
    public DeviceConfig? Current => control.Config.Device;
    public DeviceForm Form { get; private set; } = new("", "", "", true, "", "");
    public IReadOnlyList<(string Name, string Description)> Profiles { get; private set; } = [];
    public IReadOnlyList<string> Ports { get; private set; } = [];
    public List<string> GeneralProblems { get; } = [];
    public string? Message { get; private set; }
    public bool MessageOk { get; private set; }

    public string? FieldError(string field) => _fieldErrors.GetValueOrDefault(field);

    public void OnGet()
    {
        Load();
        Form = FromConfig(Current);
    }

    public async Task OnPostSave(string? profile, string? port, bool gpio, string? baud, string? gpioChip, string? gpioLines)
    {
        Load();
        Form = new DeviceForm(profile ?? "", port ?? "", baud ?? "", gpio, gpioChip ?? "", gpioLines ?? "");
        DeviceConfig? device = null;
        if (!string.IsNullOrEmpty(profile))
        {
            // Every field is judged, so one bad value does not hide the others' messages (issue #14).
            if (!Profiles.Any(p => p.Name == profile))
                _fieldErrors["profile"] = $"'{profile}' is not one of the profiles in {ProfilesDirectory}: choose one from the list.";
            if (!string.IsNullOrEmpty(port) && !Ports.Contains(port))
                _fieldErrors["port"] = $"'{port}' is not a port of this box: choose one from the list.";
            var baudRate = Number(baud, "baud", "Baud: use a number such as 9600 or 115200");
            var chip = Number(gpioChip, "gpioChip", "GPIO chip: use a number such as 0");
            var lines = Lines(gpioLines);
            if (_fieldErrors.Count > 0)
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
        var problems = await control.SaveConfigAsync(control.Config with { Device = device });
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                var field = problem.StartsWith("device.gpioLines", StringComparison.Ordinal) ? "gpioLines"
                    : problem.StartsWith("device.baud", StringComparison.Ordinal) ? "baud"
                    : problem.StartsWith("device.gpioChip", StringComparison.Ordinal) ? "gpioChip"
                    : problem.StartsWith("device.profile", StringComparison.Ordinal) ? "profile" : null;
                if (field is null)
                    GeneralProblems.Add(problem);
                else
                    _fieldErrors[field] = _fieldErrors.TryGetValue(field, out var before) ? before + "; " + problem : problem;
            }
            Message = "Not saved: see the messages beside the fields.";
            return;
        }
        this.Audit(loggers, $"device set to {LogText.Quote(profile ?? "none")}");
        Message = device is null ? "No device: acquisition stopped." : $"Acquiring from {profile} now.";
        MessageOk = true;
    }

    /// <summary>The profile's video grabber, or null.</summary>
    public VideoView? Video => control.Video();

    public void OnPostClip()
    {
        Load();
        Form = FromConfig(Current);
        var recording = control.Video()?.State == "recording";
        MessageOk = control.ToggleClip();
        Message = !MessageOk ? "The device has no video grabber." : recording ? "Clip stopped: it goes into the spool." : "Clip started: press Stop clip to end it.";
    }

    public void OnPostCapture()
    {
        Load();
        Form = FromConfig(Current);
        MessageOk = control.RequestCapture();
        Message = !MessageOk ? "The device cannot be asked for a frame (it streams on its own, or it is not connected)."
            : control.Video() is not null ? "Still taken from the grabber: watch the status page." : "Frame requested: watch the status page.";
    }

    private static DeviceForm FromConfig(DeviceConfig? d) => d is null ? new("", "", "", true, "", "") : new(
        Path.GetFileNameWithoutExtension(d.Profile), d.SerialPort ?? "", d.Baud?.ToString(CultureInfo.InvariantCulture) ?? "", d.Gpio,
        d.GpioChip?.ToString(CultureInfo.InvariantCulture) ?? "", d.GpioLines is { } lines ? string.Join(", ", lines.Select(l => $"{l.Key}={l.Value}")) : "");

    private int? Number(string? text, string field, string message)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return n;
        _fieldErrors[field] = $"{message} (you typed '{text}').";
        return null;
    }

    /// <summary>"name=line, name=line" → the wiring; the names are checked against the profile when it is saved.</summary>
    private Dictionary<string, int>? Lines(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !int.TryParse(part[(eq + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var line))
            {
                _fieldErrors["gpioLines"] = $"'{part}' is not name=line: write it like footswitch=17.";
                return null;
            }
            lines[part[..eq].Trim()] = line;
        }
        return lines;
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
