using System.Device.I2c;
using Iot.Device.Graphics;
using Iot.Device.Ssd13xx;
using Iot.Device.Ssd13xx.Commands;
using Iot.Device.Ssd13xx.Commands.Ssd1306Commands;

namespace Gateway.Hardware.Display;

/// <summary>
/// An SSD1306 OLED (128×64 or 128×32) as a grid of 6×8 character cells: 21 columns, one text row per 8-pixel page.
/// The binding (Iot.Device.Ssd13xx) initialises the controller and frames every command and data transfer; we send
/// whole pages ourselves rather than through <c>DrawBitmap</c> because binding 4.2 sets the panel up as 32 rows
/// whatever height it is given (multiplex 0x1F, sequential COM pins) and draws only pages 0-3, so a 128×64 panel
/// would show half a screen, interlaced. For 64 rows we correct both settings after its initialisation.
/// </summary>
internal sealed class OledScreen : IPanelScreen
{
    private const int Width = 128;
    private readonly Ssd1306 _oled;
    private readonly byte[] _page = new byte[Width];

    static OledScreen() =>
        // The Ssd13xx constructor clears the screen through an image factory; ours is managed (see MonoBitmap).
        BitmapImage.RegisterImageFactory(new MonoBitmap.Factory());

    public OledScreen(I2cDevice device, int height)
    {
        _oled = new Ssd1306(device, Width, height);
        if (height == 64)
        {
            _oled.SendCommand(new SetMultiplexRatio(63));
            _oled.SendCommand(new SetComPinsHardwareConfiguration(true, false));
        }
        Rows = height / 8;
        for (var row = 0; row < Rows; row++)
            WriteRow(row, new string(' ', Columns));
    }

    public int Columns => Width / Font5x7.Advance;

    public int Rows { get; }

    public void WriteRow(int row, string text)
    {
        Array.Clear(_page);
        for (var i = 0; i < text.Length && i < Columns; i++)
            Font5x7.Glyph(text[i]).CopyTo(_page.AsSpan(i * Font5x7.Advance));
        _oled.SendCommand(new SetColumnAddress(0, Width - 1));
        _oled.SendCommand(new SetPageAddress((PageAddress)row, (PageAddress)row));
        _oled.SendData(_page);
    }

    public void Dispose() => _oled.Dispose();
}
