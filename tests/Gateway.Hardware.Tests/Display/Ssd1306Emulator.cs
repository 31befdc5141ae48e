namespace Gateway.Hardware.Tests.Display;

/// <summary>
/// An SSD1306's graphic RAM as its datasheet describes it (§8.7 addressing modes, §9 command table), fed with the I²C
/// transfers: a control byte (0x00 commands follow, 0x40 data follows), then commands with their argument bytes, or
/// data that fills the RAM at the address pointer. Written independently of the bindings, so the test judges them.
/// </summary>
internal sealed class Ssd1306Emulator
{
    public const int Width = 128;
    private readonly byte[] _ram = new byte[Width * 8];
    private int _mode = 2; // page addressing after reset
    private int _colStart;
    private int _colEnd = Width - 1;
    private int _pageStart;
    private int _pageEnd = 7;
    private int _col;
    private int _page;

    public int Multiplex { get; private set; } = 64;

    public int ComPins { get; private set; } = 0x12;

    public bool DisplayOn { get; private set; }

    public void Feed(IEnumerable<byte[]> writes)
    {
        foreach (var w in writes)
        {
            if (w.Length == 0)
                continue;
            if (w[0] == 0x40)
            {
                foreach (var b in w.AsSpan(1))
                    Data(b);
            }
            else if (w[0] is 0x00 or 0x80)
            {
                Commands(w[1..]);
            }
            else
            {
                throw new InvalidDataException($"control byte 0x{w[0]:X2} is neither commands (0x00) nor data (0x40)");
            }
        }
    }

    public bool Pixel(int x, int y) => ((_ram[(y / 8 * Width) + x] >> (y % 8)) & 1) != 0;

    /// <summary>The page as 6-pixel character cells matched against the font: '¿' where no glyph matches.</summary>
    public string TextRow(int page, int columns)
    {
        var chars = new char[columns];
        for (var c = 0; c < columns; c++)
        {
            var cell = _ram.AsSpan((page * Width) + (c * 6), 6);
            chars[c] = cell[5] == 0 && Glyphs.TryGetValue(Convert.ToHexString(cell[..5]), out var ch) ? ch : '¿';
        }
        return new string(chars);
    }

    private static readonly Dictionary<string, char> Glyphs = Enumerable.Range(' ', '~' - ' ' + 1)
        .ToDictionary(c => Convert.ToHexString(Hardware.Display.Font5x7.Glyph((char)c)), c => (char)c);

    private void Commands(byte[] b)
    {
        var i = 0;
        while (i < b.Length)
        {
            var c = b[i++];
            int Arg() => i < b.Length ? b[i++] : throw new InvalidDataException($"command 0x{c:X2} without its argument");
            switch (c)
            {
                case 0x20: _mode = Arg() & 3; break;
                case 0x21: _colStart = _col = Arg() & 0x7F; _colEnd = Arg() & 0x7F; break;
                case 0x22: _pageStart = _page = Arg() & 7; _pageEnd = Arg() & 7; break;
                case 0xA8: Multiplex = (Arg() & 0x3F) + 1; break;
                case 0xDA: ComPins = Arg(); break;
                case 0xAE: DisplayOn = false; break;
                case 0xAF: DisplayOn = true; break;
                case 0x81 or 0x8D or 0xD3 or 0xD5 or 0xD9 or 0xDB: Arg(); break;
                case 0xA3: Arg(); Arg(); break;
                case 0x26 or 0x27: for (var k = 0; k < 6; k++) Arg(); break;
                case 0x29 or 0x2A: for (var k = 0; k < 5; k++) Arg(); break;
                case >= 0xB0 and <= 0xB7: _page = c & 7; break;
                case <= 0x0F: _col = (_col & 0xF0) | c; break;
                case >= 0x10 and <= 0x1F: _col = (_col & 0x0F) | ((c & 0x0F) << 4); break;
                default: break; // one-byte commands that do not touch the RAM (remap, scan direction, start line, invert)
            }
        }
    }

    private void Data(byte b)
    {
        _ram[(_page * Width) + _col] = b;
        if (_mode == 0)
        {
            if (++_col > _colEnd)
            {
                _col = _colStart;
                if (++_page > _pageEnd)
                    _page = _pageStart;
            }
        }
        else if (_mode == 2)
        {
            _col = Math.Min(_col + 1, Width - 1);
        }
        else if (++_page > _pageEnd)
        {
            _page = _pageStart;
            if (++_col > _colEnd)
                _col = _colStart;
        }
    }
}
