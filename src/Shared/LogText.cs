using System.Globalization;
using System.Text;

namespace Gateway.Shared;

/// <summary>
/// Text from outside the box (a user name typed at the login form, a destination name, an Origin header, a calling AE
/// title, a file name in a watch folder) on its way
/// into a log line. It is quoted and every control character escaped before it reaches any sink — journal, console
/// and the System page alike — so it cannot end the line and forge the next one (issue #14: a user name holding
/// "\n12:00:00 info gateway.web[6004] …" showed as a genuine log line). Shared source, compiled into each module
/// that logs or reports outside values (Gateway.Web, Gateway.Dicom.Network, Gateway.Hardware, Gateway.Spool, the
/// `gateway` executable), so every log uses the same quoting.
/// </summary>
internal static class LogText
{
    /// <summary>Longer outside values are cut: a log line is not a place for a megabyte of someone's input.</summary>
    public const int MaxLength = 80;

    /// <summary>The value in double quotes, with quotes, backslashes and control characters escaped (\n, \r, \t, \uXXXX).</summary>
    public static string Quote(string? value)
    {
        value ??= "";
        var cut = value.Length > MaxLength;
        var b = new StringBuilder(value.Length + 2).Append('"');
        Escape(b, cut ? value[..MaxLength] : value, quotes: true);
        b.Append('"');
        if (cut)
            b.Append(CultureInfo.InvariantCulture, $"… ({value.Length} characters)");
        return b.ToString();
    }

    /// <summary>
    /// The value cut to <see cref="MaxLength"/> and with its control characters escaped, without quotes: for messages
    /// that put it in quotes of their own (a spool reason file, a command's error line). Null is "(null)".
    /// </summary>
    public static string Bounded(string? value)
    {
        if (value is null)
            return "(null)";
        var cut = value.Length > MaxLength;
        var b = new StringBuilder(Math.Min(value.Length, MaxLength) + 1);
        Escape(b, cut ? value[..MaxLength] : value, quotes: false);
        if (cut)
            b.Append('…');
        return b.ToString();
    }

    /// <summary>A whole formatted message made safe for one line: control characters escaped, nothing else touched.</summary>
    public static string OneLine(string message)
    {
        if (!message.Any(NeedsEscape))
            return message;
        var b = new StringBuilder(message.Length + 16);
        Escape(b, message, quotes: false);
        return b.ToString();
    }

    private static bool NeedsEscape(char c) => char.IsControl(c) || c is '\u2028' or '\u2029' or '\u0085';

    private static void Escape(StringBuilder b, string text, bool quotes)
    {
        foreach (var c in text)
        {
            switch (c)
            {
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                case '"' when quotes: b.Append("\\\""); break;
                case '\\' when quotes: b.Append("\\\\"); break;
                default:
                    if (NeedsEscape(c))
                        b.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    else
                        b.Append(c);
                    break;
            }
        }
    }
}
