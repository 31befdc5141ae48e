using System.Globalization;

namespace Gateway.Hardware.Framing;

/// <summary>Byte strings in profiles: hex digits, spaces allowed between bytes ("A5 5A", "06", "").</summary>
public static class Hex
{
    public static bool TryParse(string text, out byte[] bytes)
    {
        var digits = text.Replace(" ", "", StringComparison.Ordinal);
        bytes = [];
        if (digits.Length % 2 != 0)
            return false;
        var result = new byte[digits.Length / 2];
        for (var i = 0; i < result.Length; i++)
        {
            if (!byte.TryParse(digits.AsSpan(2 * i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out result[i]))
                return false;
        }
        bytes = result;
        return true;
    }

    public static byte[] Parse(string text, string field) =>
        TryParse(text, out var bytes) ? bytes : throw new FormatException($"{field}: '{text}' is not hex");
}
