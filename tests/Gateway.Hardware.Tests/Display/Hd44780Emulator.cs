namespace Gateway.Hardware.Tests.Display;

/// <summary>
/// An HD44780 as its datasheet describes it (instruction set, Table 6; 4-bit interface, Figure 24), fed with the
/// bytes written to the PCF8574 backpack (P0 RS, P1 RW, P2 E, P3 backlight, P4-P7 D4-D7). The controller latches the
/// data lines on E's falling edge; it starts in 8-bit mode, where a strobe is a whole instruction, and function set
/// with DL=0 switches it to 4-bit (high nibble first). Written independently of the bindings, so the test judges them.
/// </summary>
internal sealed class Hd44780Emulator
{
    private const byte Rs = 0x01;
    private const byte Rw = 0x02;
    private const byte E = 0x04;
    private const byte Backlight = 0x08;

    private readonly byte[] _ddram = new byte[0x80];
    private byte _port;
    private bool _fourBit;
    private int? _high;
    private int _address;
    private bool _cgram;

    public Hd44780Emulator() => Array.Fill(_ddram, (byte)' ');

    public bool DisplayOn { get; private set; }

    public bool CursorOn { get; private set; }

    public bool BacklightOn => (_port & Backlight) != 0;

    public int Strobes { get; private set; }

    /// <summary>In 4-bit mode with the high nibble latched and the low one still to come.</summary>
    public bool BetweenNibbles => _fourBit && _high is not null;

    public void Feed(IEnumerable<byte[]> writes)
    {
        foreach (var write in writes)
        {
            foreach (var b in write)
            {
                if ((_port & E) != 0 && (b & E) == 0 && (_port & Rw) == 0)
                    Latch(_port);
                _port = b;
            }
        }
    }

    /// <summary>What the glass shows: DDRAM addresses per row as the datasheet maps them (row 2 and 3 of a 20×4 continue rows 0 and 1).</summary>
    public string[] Rows(int columns, int rows)
    {
        int[] offsets = rows == 4 ? [0x00, 0x40, columns, 0x40 + columns] : [0x00, 0x40];
        return [.. offsets.Take(rows).Select(o => new string(_ddram.AsSpan(o, columns).ToArray().Select(c => (char)c).ToArray()))];
    }

    private void Latch(byte port)
    {
        Strobes++;
        var nibble = port >> 4;
        var rs = (port & Rs) != 0;
        if (!_fourBit)
        {
            // 8-bit mode: D0-D3 are not wired on the backpack and read as 0.
            Execute(rs, nibble << 4);
            return;
        }
        if (_high is null)
        {
            _high = nibble;
            return;
        }
        var value = (_high.Value << 4) | nibble;
        _high = null;
        Execute(rs, value);
    }

    private void Execute(bool rs, int value)
    {
        if (rs)
        {
            if (!_cgram)
            {
                _ddram[_address] = (byte)value;
                _address = (_address + 1) & 0x7F;
            }
            return;
        }
        if ((value & 0x80) != 0)
        {
            _address = value & 0x7F;
            _cgram = false;
        }
        else if ((value & 0x40) != 0)
        {
            _cgram = true;
        }
        else if ((value & 0x20) != 0)
        {
            _fourBit = (value & 0x10) == 0;
            _high = null;
        }
        else if ((value & 0x08) != 0)
        {
            DisplayOn = (value & 0x04) != 0;
            CursorOn = (value & 0x03) != 0;
        }
        else if ((value & 0x02) != 0 && (value & 0x04) == 0 && (value & 0x10) == 0)
        {
            _address = 0;
        }
        else if (value == 0x01)
        {
            Array.Fill(_ddram, (byte)' ');
            _address = 0;
        }
    }
}
