using System.Globalization;
using System.Text;

namespace Gateway.Hardware.Display;

/// <summary>
/// What each row of a character grid shows for a status: a pure function of the status, the grid and the time since
/// the panel started (pages and scrolling move with time, so a test with a fake clock sees every frame).
/// The top row is the same on every size: box name on the left, state on the right (what a technician looks for first).
/// 2 rows: the second row pages through address, spool depth and the last error (which scrolls when too long).
/// 4 rows: address, spool depth, last error (scrolling). 8 rows (OLED 128×64): the last error wraps over four rows.
/// </summary>
internal static class PanelLayout
{
    /// <summary>A scrolling row moves one character per step.</summary>
    public static readonly TimeSpan ScrollStep = TimeSpan.FromMilliseconds(400);

    /// <summary>How long a page of the 2-row display stays (a scrolling error stays until it has gone round once).</summary>
    public static readonly TimeSpan PageTime = TimeSpan.FromSeconds(3);

    private const string ScrollGap = "   ";

    public static string[] Lines(PanelStatus status, int columns, int rows, TimeSpan elapsed)
    {
        var box = Clean(status.BoxName);
        var address = status.Address is { Length: > 0 } a ? Clean(a) : "no network";
        var spool = string.Create(CultureInfo.InvariantCulture, $"spool: {Math.Max(0, status.SpoolDepth)}");
        var error = status.LastError is { Length: > 0 } e ? Clean(e) : null;
        var lines = new string[rows];
        lines[0] = Split(box, StateText(status.State), columns);
        if (rows == 2)
        {
            List<string> pages = [address, spool];
            if (error is not null)
                pages.Add(error);
            lines[1] = Paged(pages, columns, elapsed);
        }
        else
        {
            lines[1] = Fit(address, columns);
            lines[2] = Fit(spool, columns);
            if (rows == 4)
            {
                lines[3] = error is null ? Fit("", columns) : Marquee(error, columns, elapsed);
            }
            else
            {
                lines[3] = Fit(error is null ? "" : "last error:", columns);
                var wrapped = Wrap(error ?? "", columns, rows - 4);
                for (var i = 4; i < rows; i++)
                    lines[i] = Fit(wrapped[i - 4], columns);
            }
        }
        return lines;
    }

    /// <summary>What stays on the glass after the gateway has stopped cleanly (a crash leaves the last screen).</summary>
    public static string[] Stopped(PanelStatus status, int columns, int rows)
    {
        var lines = Enumerable.Repeat(Fit("", columns), rows).ToArray();
        lines[0] = Split(Clean(status.BoxName), "STOPPED", columns);
        lines[1] = Fit("gateway not running", columns);
        return lines;
    }

    public static string StateText(FrontPanelState state) => state switch
    {
        FrontPanelState.Ready => "READY",
        FrontPanelState.Acquiring => "ACQUIRING",
        FrontPanelState.Sending => "SENDING",
        _ => "ERROR",
    };

    /// <summary>
    /// Printable ASCII the HD44780's ROM A00 shares with ASCII: 0x20-0x7D without '\' (0x5C is ¥ there); anything else
    /// becomes '?', and line breaks and tabs a space (an exception message may have several lines).
    /// </summary>
    public static string Clean(string text)
    {
        var b = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                if (b.Length > 0 && b[^1] != ' ')
                    b.Append(' ');
            }
            else
            {
                b.Append(c == '\\' ? '/' : c is >= ' ' and <= '}' ? c : '?');
            }
        }
        return b.ToString().TrimEnd();
    }

    private static string Fit(string text, int columns) => text.Length >= columns ? text[..columns] : text.PadRight(columns);

    /// <summary><paramref name="right"/> whole at the right edge; <paramref name="left"/> cut to what is left.</summary>
    private static string Split(string left, string right, int columns)
    {
        var room = columns - right.Length - 1;
        if (room <= 0)
            return Fit(right, columns);
        var l = left.Length > room ? left[..room] : left;
        return l + new string(' ', columns - l.Length - right.Length) + right;
    }

    private static string Marquee(string text, int columns, TimeSpan elapsed)
    {
        if (text.Length <= columns)
            return Fit(text, columns);
        var loop = text + ScrollGap;
        var offset = (int)(elapsed.Ticks / ScrollStep.Ticks % loop.Length);
        return (loop + loop).Substring(offset, columns);
    }

    private static TimeSpan Duration(string page, int columns) =>
        page.Length <= columns ? PageTime : TimeSpan.FromTicks(Math.Max(PageTime.Ticks, ScrollStep.Ticks * (page.Length + ScrollGap.Length)));

    private static string Paged(List<string> pages, int columns, TimeSpan elapsed)
    {
        var cycle = pages.Sum(p => Duration(p, columns).Ticks);
        var t = elapsed.Ticks % cycle;
        foreach (var page in pages)
        {
            var d = Duration(page, columns).Ticks;
            if (t < d)
                return Marquee(page, columns, TimeSpan.FromTicks(t));
            t -= d;
        }
        return Fit(pages[^1], columns);
    }

    /// <summary>Word-wrapped into <paramref name="lines"/> rows; what does not fit ends in "...".</summary>
    internal static string[] Wrap(string text, int columns, int lines)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var rest = word;
            while (rest.Length > 0)
            {
                var room = current.Length == 0 ? columns : columns - current.Length - 1;
                if (rest.Length <= room)
                {
                    if (current.Length > 0)
                        current.Append(' ');
                    current.Append(rest);
                    rest = "";
                }
                else if (current.Length == 0)
                {
                    // A word longer than a row (a path, a UID) is cut where the row ends.
                    result.Add(rest[..columns]);
                    rest = rest[columns..];
                }
                else
                {
                    result.Add(current.ToString());
                    current.Clear();
                }
            }
        }
        if (current.Length > 0)
            result.Add(current.ToString());
        if (result.Count > lines)
        {
            var last = result[lines - 1];
            result[lines - 1] = (last.Length > columns - 3 ? last[..(columns - 3)] : last) + "...";
            result.RemoveRange(lines, result.Count - lines);
        }
        while (result.Count < lines)
            result.Add("");
        return [.. result];
    }
}
