using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Hardware.Framing;
using Gateway.Hardware.Profiles;

namespace Gateway.Hardware.Text;

/// <summary>What a line of a text report meant.</summary>
public abstract record TextEvent;

/// <summary>A line matched a field: the value for its keyword (numbers scaled).</summary>
public sealed record TextValue(DeviceValue Value) : TextEvent;

/// <summary>The end-of-record line: the report is complete.</summary>
public sealed record TextRecordEnd : TextEvent;

/// <summary>A line that could not be used (too long, or a value that is not a number where a scale applies).</summary>
public sealed record TextLineIgnored(string Reason) : TextEvent;

/// <summary>
/// Reads exam data that legacy devices print as text lines ("PID=123", "KV 70", "MAS 12.5"): splits the bytes into
/// lines (CR, LF or CRLF), decodes them, and maps each line that matches a pattern to its DICOM keyword. A pure
/// function over buffers like the frame decoder; lines that match nothing are the device's chatter and are ignored.
/// </summary>
public sealed class TextReportParser
{
    private readonly TextProtocolSettings _settings;
    private readonly Encoding _encoding;
    private readonly (Regex Pattern, TextField Field)[] _fields;
    private readonly Regex? _end;
    private readonly byte[] _line;
    private int _length;
    private bool _overlong;

    public TextReportParser(TextProtocolSettings settings)
    {
        _settings = settings;
        _encoding = settings.Encoding switch
        {
            "utf-8" => Encoding.UTF8,
            "ascii" => Encoding.ASCII,
            _ => Encoding.Latin1,
        };
        var timeout = TimeSpan.FromMilliseconds(100);
        _fields = [.. settings.Fields.Select(f => (new Regex(f.Pattern, RegexOptions.CultureInvariant, timeout), f))];
        _end = settings.EndOfRecord is { } end ? new Regex(end, RegexOptions.CultureInvariant, timeout) : null;
        _line = new byte[settings.MaxLineLength];
    }

    public void Feed(ReadOnlySpan<byte> data, List<TextEvent> events)
    {
        foreach (var b in data)
        {
            if (b is (byte)'\r' or (byte)'\n')
            {
                if (_overlong)
                    events.Add(new TextLineIgnored($"a line longer than {_settings.MaxLineLength} bytes"));
                else if (_length > 0)
                    Line(_encoding.GetString(_line, 0, _length), events);
                _length = 0;
                _overlong = false;
            }
            else if (_length < _line.Length)
                _line[_length++] = b;
            else
                _overlong = true;
        }
    }

    /// <summary>The link was lost: a half-received line is dropped, never guessed at.</summary>
    public void Reset()
    {
        _length = 0;
        _overlong = false;
    }

    private void Line(string line, List<TextEvent> events)
    {
        try
        {
            if (_end?.IsMatch(line) == true)
            {
                events.Add(new TextRecordEnd());
                return;
            }
            foreach (var (pattern, field) in _fields)
            {
                var m = pattern.Match(line);
                if (!m.Success)
                    continue;
                var value = m.Groups[1].Value.Trim();
                if (field.Scale is { } scale)
                {
                    if (!decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                    {
                        events.Add(new TextLineIgnored($"{field.Keyword}: '{value}' is not a number"));
                        return;
                    }
                    value = ScaledValue.Format(number, scale, field.Keyword);
                }
                events.Add(new TextValue(new DeviceValue(field.Keyword, value)));
                return;
            }
        }
        catch (RegexMatchTimeoutException)
        {
            events.Add(new TextLineIgnored("a pattern took too long on this line"));
        }
    }
}
