using System.Device.Gpio;
using System.Device.I2c;
using System.Drawing;
using Iot.Device.CharacterLcd;
using Iot.Device.Pcx857x;

namespace Gateway.Hardware.Display;

/// <summary>
/// An HD44780 character LCD behind the common PCF8574 I²C backpack, driven by the bindings: the PCF8574 is a
/// <see cref="GpioDriver"/> (Iot.Device.Pcx857x) and the LCD's 4-bit GPIO interface (Iot.Device.CharacterLcd) runs on it.
/// The backpack's wiring (P0 RS, P1 RW, P2 E, P3 backlight, P4-P7 D4-D7) is the one almost every such module has.
/// </summary>
internal sealed class CharacterLcdScreen : IPanelScreen
{
    private const int RegisterSelect = 0;
    private const int ReadWrite = 1;
    private const int Enable = 2;
    private const int Backlight = 3;
    private static readonly int[] Data = [4, 5, 6, 7];

    private readonly I2cDevice _device;
    private readonly Pcf8574 _expander;
    private readonly GpioController _controller;
    private readonly LcdInterface _interface;
    private readonly Hd44780 _lcd;

    public CharacterLcdScreen(I2cDevice device, int columns, int rows)
    {
        _device = device;
        _expander = new Pcf8574(device);
        _controller = new GpioController(_expander);
        _interface = LcdInterface.CreateGpio(RegisterSelect, Enable, Data, Backlight, 1f, ReadWrite, _controller, false);
        // Initialises the controller (4-bit mode, lines, display on); the first write that finds no device throws here.
        _lcd = new Hd44780(new Size(columns, rows), _interface)
        {
            UnderlineCursorVisible = false,
            BlinkingCursorVisible = false,
            BacklightOn = true,
        };
        _lcd.Clear();
        Columns = columns;
        Rows = rows;
    }

    public int Columns { get; }

    public int Rows { get; }

    public void WriteRow(int row, string text)
    {
        _lcd.SetCursorPosition(0, row);
        _lcd.Write(text);
    }

    public void Dispose()
    {
        _lcd.Dispose();
        _interface.Dispose();
        _controller.Dispose();
        _expander.Dispose();
        _device.Dispose();
    }
}
