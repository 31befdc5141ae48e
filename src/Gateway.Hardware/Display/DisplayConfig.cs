namespace Gateway.Hardware.Display;

/// <summary>
/// The optional front panel (configuration key <c>display</c>): an HD44780 character LCD behind a PCF8574 I²C backpack
/// ("hd44780", 16x2 or 20x4) or an SSD1306 OLED ("ssd1306", 128x64 or 128x32). No section: no panel.
/// </summary>
public sealed record DisplayConfig
{
    public const string Hd44780 = "hd44780";
    public const string Ssd1306 = "ssd1306";

    /// <summary>"hd44780" (through a PCF8574 backpack) or "ssd1306".</summary>
    public string Type { get; init; } = "";
    /// <summary>The I²C bus: /dev/i2c-N (1 on a Raspberry Pi's header pins 3 and 5).</summary>
    public int Bus { get; init; } = 1;
    /// <summary>The 7-bit address; none: the usual one (0x27 = 39 for a PCF8574 backpack, 0x3C = 60 for an SSD1306).</summary>
    public int? Address { get; init; }
    /// <summary>Characters ("16x2", "20x4") or pixels ("128x64", "128x32"); none: 16x2 or 128x64.</summary>
    public string? Size { get; init; }
    /// <summary>How often a display that does not answer is looked for again.</summary>
    public double RetrySeconds { get; init; } = 60;

    public int ResolvedAddress => Address ?? (Type == Ssd1306 ? 0x3C : 0x27);

    public string ResolvedSize => Size ?? (Type == Ssd1306 ? "128x64" : "16x2");

    /// <summary>Width and height: characters for an LCD, pixels for an OLED.</summary>
    internal (int Width, int Height) Dimensions
    {
        get
        {
            var parts = ResolvedSize.Split('x');
            return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Every problem, each naming its key under <paramref name="key"/>.</summary>
    public IReadOnlyList<string> Validate(string key = "display")
    {
        var p = new List<string>();
        string[] sizes = Type switch
        {
            Hd44780 => ["16x2", "20x4"],
            Ssd1306 => ["128x64", "128x32"],
            _ => [],
        };
        if (sizes.Length == 0)
            p.Add($"{key}.type: '{Type}' is not \"{Hd44780}\" or \"{Ssd1306}\"");
        else if (!sizes.Contains(ResolvedSize))
            p.Add($"{key}.size: '{ResolvedSize}' is not one of {string.Join(", ", sizes)} for {Type}");
        if (Bus is < 0 or > 255)
            p.Add($"{key}.bus: {Bus} is not between 0 and 255 (/dev/i2c-N)");
        // 0x00-0x07 and 0x78-0x7F are reserved by the I²C specification (general call, CBUS, 10-bit addressing).
        if (ResolvedAddress is < 0x08 or > 0x77)
            p.Add($"{key}.address: {ResolvedAddress} is not a 7-bit device address (8 to 119)");
        if (RetrySeconds is <= 0 or > 86400 || double.IsNaN(RetrySeconds))
            p.Add($"{key}.retrySeconds: {RetrySeconds} is not between 0 and 86400");
        return p;
    }
}
