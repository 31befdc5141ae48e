using System.Device.I2c;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Gateway.Hardware.Display;

/// <summary>
/// <see cref="IFrontPanel"/> on an I²C display. Keeps what each row shows and writes only rows that changed (an
/// HD44780 behind a PCF8574 needs ~6 bus transfers per character). A failure of any kind closes the display, is logged
/// once, and the display is opened again at the next tick after retrySeconds: a front panel is a convenience and
/// must never stop or slow the gateway's work.
/// </summary>
internal sealed class I2cFrontPanel : IFrontPanel
{
    /// <summary>Scrolling and paging need a redraw this often; unchanged rows cost nothing.</summary>
    internal static readonly TimeSpan Tick = PanelLayout.ScrollStep;

    private readonly DisplayConfig _config;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Func<I2cConnectionSettings, I2cDevice> _openBus;
    private readonly Lock _lock = new();
    private readonly DateTimeOffset _started;
    private readonly ITimer _timer;
    private IPanelScreen? _screen;
    private string[] _shown = [];
    private PanelStatus? _status;
    private DateTimeOffset _nextAttempt;
    private bool _failureLogged;
    private bool _disposed;

    public I2cFrontPanel(DisplayConfig config, ILogger logger, TimeProvider time, Func<I2cConnectionSettings, I2cDevice> openBus)
    {
        _config = config;
        _logger = logger;
        _time = time;
        _openBus = openBus;
        _started = time.GetUtcNow();
        _nextAttempt = _started;
        // No I/O here: the display is opened by the first Show (from the caller's background loop), so a wedged bus
        // (the kernel's I²C timeout is a second per transfer) cannot delay the service's start.
        _timer = time.CreateTimer(_ => OnTick(), null, Tick, Tick);
    }

    public bool Connected
    {
        get
        {
            lock (_lock)
                return _screen is not null;
        }
    }

    public void Show(PanelStatus status)
    {
        lock (_lock)
        {
            _status = status;
            Refresh();
        }
    }

    private void OnTick()
    {
        lock (_lock)
            Refresh();
    }

    /// <summary>Opens the display if it is due, then writes the rows that differ from what it shows. Under the lock.</summary>
    private void Refresh()
    {
        if (_disposed || _status is null)
            return;
        var now = _time.GetUtcNow();
        try
        {
            if (_screen is null)
            {
                if (now < _nextAttempt)
                    return;
                _nextAttempt = now + TimeSpan.FromSeconds(_config.RetrySeconds);
                _screen = OpenScreen();
                _shown = new string[_screen.Rows];
                _failureLogged = false;
                DisplayLog.Connected(_logger, _config.Type, _config.ResolvedSize, _config.Bus, AddressText);
            }
            Write(PanelLayout.Lines(_status, _screen.Columns, _screen.Rows, now - _started));
        }
        catch (Exception e)
        {
            // Whatever the bus or the binding throws (IOException for a NACK or a missing /dev/i2c-N, others from a
            // half-initialised controller), the display is optional: close it and look for it again later.
            Close();
            _nextAttempt = now + TimeSpan.FromSeconds(_config.RetrySeconds);
            if (!_failureLogged)
            {
                _failureLogged = true;
                DisplayLog.NotAnswering(_logger, _config.Type, _config.Bus, AddressText, e.Message, _config.RetrySeconds);
            }
        }
    }

    private void Write(string[] lines)
    {
        for (var row = 0; row < lines.Length; row++)
        {
            if (_shown[row] == lines[row])
                continue;
            _screen!.WriteRow(row, lines[row]);
            _shown[row] = lines[row];
        }
    }

    private IPanelScreen OpenScreen()
    {
        var device = _openBus(new I2cConnectionSettings(_config.Bus, _config.ResolvedAddress));
        try
        {
            var (width, height) = _config.Dimensions;
            return _config.Type == DisplayConfig.Ssd1306 ? new OledScreen(device, height) : new CharacterLcdScreen(device, width, height);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    private string AddressText => "0x" + _config.ResolvedAddress.ToString("X2", CultureInfo.InvariantCulture);

    private void Close()
    {
        var screen = _screen;
        _screen = null;
        _shown = [];
        try
        {
            screen?.Dispose();
        }
        catch (Exception)
        {
            // Closing a display that no longer answers may fail in its own way; it is gone either way.
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            // An LCD keeps its text while powered: without this a stopped gateway would go on saying READY.
            if (_screen is not null && _status is not null)
            {
                try
                {
                    Write(PanelLayout.Stopped(_status, _screen.Columns, _screen.Rows));
                }
                catch (Exception)
                {
                    // Gone at the last moment: nothing is left to tell.
                }
            }
            Close();
        }
    }
}
