using System.Text;

namespace Gateway.Web.Metrics;

/// <summary>
/// The head of one HTTP/1.x request to <see cref="PrometheusListener"/> (RFC 9112 §2.2, §3, §5), read no further than
/// /metrics needs: the method, the path (the target up to '?'), the Accept header (the exporter's choice of format) and
/// whether a body was announced (none is taken). A pure function over the bytes up to and including the empty line.
/// </summary>
internal readonly record struct MetricsRequest(string Method, string Path, string? Accept, bool HasBody)
{
    /// <summary>At most this many bytes of request line and headers (Kestrel's limit here was the same); more: 431.</summary>
    public const int MaxHeadBytes = 16 * 1024;

    /// <summary>The length of the head (through its CRLF CRLF) at the start of <paramref name="received"/>, or 0 while it is incomplete.</summary>
    public static int HeadLength(ReadOnlySpan<byte> received)
    {
        var end = received.IndexOf("\r\n\r\n"u8);
        return end < 0 ? 0 : end + 4;
    }

    /// <summary>Parses a complete head (<see cref="HeadLength"/>); false when it is not a well-formed HTTP/1.0 or 1.1 request (400).</summary>
    public static bool TryParse(ReadOnlySpan<byte> head, out MetricsRequest request)
    {
        request = default;
        var lineEnd = head.IndexOf("\r\n"u8);
        if (lineEnd <= 0)
            return false;
        var line = head[..lineEnd];
        var firstSpace = line.IndexOf((byte)' ');
        var lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace <= firstSpace + 1)
            return false;
        var method = line[..firstSpace];
        var target = line[(firstSpace + 1)..lastSpace];
        var version = line[(lastSpace + 1)..];
        if (!IsToken(method) || target.IndexOfAny((byte)' ', (byte)'\t') >= 0 || !IsVisible(target)
            || !(version.SequenceEqual("HTTP/1.1"u8) || version.SequenceEqual("HTTP/1.0"u8)))
            return false;
        var query = target.IndexOf((byte)'?');
        var path = query < 0 ? target : target[..query];

        string? accept = null;
        var hasBody = false;
        var rest = head[(lineEnd + 2)..];
        while (true)
        {
            var end = rest.IndexOf("\r\n"u8);
            if (end < 0)
                return false;
            if (end == 0)
                break;
            var field = rest[..end];
            rest = rest[(end + 2)..];
            var colon = field.IndexOf((byte)':');
            // No whitespace between the name and the colon, and no line folding (RFC 9112 §5.1, §5.2).
            if (colon <= 0 || !IsToken(field[..colon]))
                return false;
            var name = field[..colon];
            var value = field[(colon + 1)..].Trim(" \t"u8);
            if (value.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) >= 0)
                return false;
            if (Ascii.EqualsIgnoreCase(name, "Accept"u8))
                accept = accept is null ? Encoding.Latin1.GetString(value) : accept + ", " + Encoding.Latin1.GetString(value);
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8) || (Ascii.EqualsIgnoreCase(name, "Content-Length"u8) && !value.SequenceEqual("0"u8)))
                hasBody = true;
        }
        request = new MetricsRequest(Encoding.ASCII.GetString(method), Encoding.Latin1.GetString(path), accept, hasBody);
        return true;
    }

    /// <summary>RFC 9110 §5.6.2 tchar+.</summary>
    private static bool IsToken(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty)
            return false;
        foreach (var b in s)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || "!#$%&'*+-.^_`|~"u8.Contains(b)))
                return false;
        }
        return true;
    }

    private static bool IsVisible(ReadOnlySpan<byte> s)
    {
        foreach (var b in s)
        {
            if (b is <= 0x20 or >= 0x7f)
                return false;
        }
        return true;
    }
}
