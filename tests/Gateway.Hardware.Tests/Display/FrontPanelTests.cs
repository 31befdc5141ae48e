using Gateway.Hardware.Display;
using Gateway.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Hardware.Tests.Display;

/// <summary>
/// The front panel through a fake I²C device that records every byte: the bytes are decoded by independent emulators
/// of the HD44780 (behind its PCF8574) and the SSD1306, and what the glass would show is asserted and kept as a PNG
/// under artifacts/screenshots.
/// </summary>
public sealed class FrontPanelTests
{
    private static readonly PanelStatus Sending = new("xray-room-3", "192.168.1.40", FrontPanelState.Sending, 12,
        "PACS refused C-STORE: status A700 out of resources");

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IFrontPanel, FakeI2cDevice> Devices = [];

    /// <summary>
    /// A panel on a fake bus; the device exists once the panel has opened it (at its first Show), and every later
    /// open finds the same one (one physical display, whose controller keeps its state across our reconnects).
    /// </summary>
    private static (IFrontPanel Panel, FakeTimeProvider Time, ListLogger Log) Open(DisplayConfig config)
    {
        var time = new FakeTimeProvider();
        var log = new ListLogger();
        IFrontPanel? panel = null;
        panel = FrontPanel.Open(config, log, time, s => Devices.GetValue(panel!, _ => new FakeI2cDevice(s.BusId, s.DeviceAddress)));
        return (panel, time, log);
    }

    private static FakeI2cDevice Device(IFrontPanel panel) => Devices.TryGetValue(panel, out var d) ? d : throw new InvalidOperationException("not opened");

    private static string[] Lcd(FakeI2cDevice device, int columns, int rows)
    {
        var lcd = new Hd44780Emulator();
        lcd.Feed(device.Writes);
        Assert.True(lcd.DisplayOn);
        Assert.False(lcd.CursorOn);
        Assert.True(lcd.BacklightOn);
        return lcd.Rows(columns, rows);
    }

    [Fact]
    public void A_16x2_lcd_shows_box_and_state_and_pages_through_address_spool_and_the_scrolling_error()
    {
        var (panel, time, log) = Open(new DisplayConfig { Type = "hd44780" });
        using var _ = panel;
        // Nothing is opened before there is something to show: no I/O in the service's start.
        Assert.Throws<InvalidOperationException>(() => Device(panel));
        panel.Show(Sending);
        var device = Device(panel);
        Assert.Equal(0x27, device.ConnectionSettings.DeviceAddress);
        Assert.Equal(1, device.ConnectionSettings.BusId);
        Assert.True(panel.Connected);
        Assert.Equal(["xray-roo SENDING", "192.168.1.40    "], Lcd(device, 16, 2));
        Screenshot.Lcd("lcd-16x2-address", Lcd(device, 16, 2), true);

        time.Advance(PanelLayout.PageTime);
        Assert.Equal(["xray-roo SENDING", "spool: 12       "], Lcd(device, 16, 2));

        time.Advance(PanelLayout.PageTime);
        Assert.Equal(["xray-roo SENDING", "PACS refused C-S"], Lcd(device, 16, 2));
        Screenshot.Lcd("lcd-16x2-error", Lcd(device, 16, 2), true);
        time.Advance(PanelLayout.ScrollStep * 5);
        Assert.Equal("refused C-STORE:", Lcd(device, 16, 2)[1]);
        Assert.Contains(log.Lines, l => l.StartsWith("[4101] Information: front panel hd44780 16x2 on i2c-1 at 0x27", StringComparison.Ordinal));
    }

    [Fact]
    public void A_20x4_lcd_shows_every_field_at_once_and_an_unchanged_status_writes_nothing()
    {
        var (panel, time, _) = Open(new DisplayConfig { Type = "hd44780", Size = "20x4", Address = 0x3F });
        using var __ = panel;
        var ready = new PanelStatus("xray-room-3", "10.0.0.7", FrontPanelState.Ready, 0, "echo failed: PACS");
        panel.Show(ready);
        var device = Device(panel);
        Assert.Equal(0x3F, device.ConnectionSettings.DeviceAddress);
        var rows = Lcd(device, 20, 4);
        Assert.Equal(["xray-room-3    READY", "10.0.0.7            ", "spool: 0            ", "echo failed: PACS   "], rows);
        Screenshot.Lcd("lcd-20x4", rows, true);

        var writes = device.Writes.Count;
        panel.Show(ready);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(writes, device.Writes.Count);

        panel.Show(ready with { State = FrontPanelState.Acquiring, SpoolDepth = 3 });
        Assert.Equal(["xray-room- ACQUIRING", "spool: 3"], [.. Lcd(device, 20, 4).Where((_, i) => i != 1 && i != 3).Select(r => r.TrimEnd())]);
    }

    [Fact]
    public void A_128x64_oled_shows_the_status_in_its_frame_buffer_with_the_error_wrapped()
    {
        var (panel, _, _) = Open(new DisplayConfig { Type = "ssd1306" });
        using var __ = panel;
        panel.Show(Sending with { State = FrontPanelState.Error });
        var device = Device(panel);
        Assert.Equal(0x3C, device.ConnectionSettings.DeviceAddress);
        var oled = new Ssd1306Emulator();
        oled.Feed(device.Writes);
        Assert.True(oled.DisplayOn);
        // Binding 4.2 sets up every SSD1306 for 32 rows; the panel corrects it for a 64-row one (OledScreen).
        Assert.Equal(64, oled.Multiplex);
        Assert.Equal(0x12, oled.ComPins);
        string[] expected =
        [
            "xray-room-3     ERROR",
            "192.168.1.40         ",
            "spool: 12            ",
            "last error:          ",
            "PACS refused C-STORE:",
            "status A700 out of   ",
            "resources            ",
            "                     ",
        ];
        Assert.Equal(expected, Enumerable.Range(0, 8).Select(p => oled.TextRow(p, 21)));
        Screenshot.Oled("oled-128x64", oled, 64);
    }

    [Fact]
    public void A_128x32_oled_uses_four_rows_and_scrolls_the_error()
    {
        var (panel, time, _) = Open(new DisplayConfig { Type = "ssd1306", Size = "128x32" });
        using var __ = panel;
        panel.Show(Sending);
        var device = Device(panel);
        var oled = new Ssd1306Emulator();
        oled.Feed(device.Writes);
        Assert.Equal(32, oled.Multiplex);
        Assert.Equal(["xray-room-3   SENDING", "192.168.1.40         ", "spool: 12            ", "PACS refused C-STORE:"],
            Enumerable.Range(0, 4).Select(p => oled.TextRow(p, 21)));
        time.Advance(PanelLayout.ScrollStep * 13);
        oled.Feed(device.Writes);
        Assert.Equal("C-STORE: status A700 ", oled.TextRow(3, 21));
        Screenshot.Oled("oled-128x32", oled, 32);
    }

    [Fact]
    public void A_display_that_does_not_answer_is_logged_once_skipped_and_found_again_after_retrySeconds()
    {
        var time = new FakeTimeProvider();
        var log = new ListLogger();
        var device = new FakeI2cDevice(1, 0x27) { Present = false };
        var opened = 0;
        using var panel = FrontPanel.Open(new DisplayConfig { Type = "hd44780", RetrySeconds = 30 }, log, time, _ =>
        {
            opened++;
            return device;
        });
        panel.Show(Sending);
        panel.Show(Sending with { SpoolDepth = 13 });
        Assert.False(panel.Connected);
        Assert.Equal(1, opened);
        var failed = device.FailedWrites;
        Assert.Equal(1, failed); // the first write found no ACK; nothing more was tried

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(1, opened);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, opened); // looked for again, still missing: no second log line
        Assert.Single(log.Lines, l => l.StartsWith("[4102] Warning: front panel hd44780 on i2c-1 at 0x27 does not answer (Error 121", StringComparison.Ordinal));

        device.Present = true;
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(panel.Connected);
        Assert.Equal(3, opened);
        Assert.Equal("xray-roo SENDING", Lcd(device, 16, 2)[0]);
        Assert.Single(log.Lines, l => l.StartsWith("[4101]", StringComparison.Ordinal));

        // It goes away again (cable pulled): logged once more, and the service's call returns as before.
        device.Present = false;
        panel.Show(Sending with { State = FrontPanelState.Error });
        Assert.False(panel.Connected);
        Assert.Equal(2, log.Lines.Count(l => l.StartsWith("[4102]", StringComparison.Ordinal)));
    }

    [Fact]
    public void No_i2c_bus_on_this_machine_is_a_logged_warning_not_an_exception()
    {
        // Bus 250 exists on no machine this runs on: the real I2cDevice.Create / first transfer fails as on a box
        // whose /dev/i2c-1 is not enabled (dtparam=i2c_arm=on missing).
        var log = new ListLogger();
        using var panel = FrontPanel.Open(new DisplayConfig { Type = "ssd1306", Bus = 250 }, log)!;
        panel.Show(Sending);
        Assert.False(panel.Connected);
        Assert.Single(log.Lines, l => l.StartsWith("[4102] Warning: front panel ssd1306 on i2c-250 at 0x3C does not answer", StringComparison.Ordinal));
        Assert.Null(FrontPanel.Open(null, log));
    }

    [Fact]
    public void Text_the_lcd_rom_cannot_show_is_replaced_and_line_breaks_become_spaces()
    {
        Assert.Equal("Gr??e /tmp/x ok", PanelLayout.Clean("Grüße \\tmp\\x\r\n\tok\n"));
        Assert.Equal(["a-very-lon", "g-word and", "more wo..."], PanelLayout.Wrap("a-very-long-word and more words here", 10, 3));
    }

    [Fact]
    public void Display_configuration_problems_name_their_key()
    {
        Assert.Empty(new DisplayConfig { Type = "hd44780", Size = "20x4" }.Validate());
        Assert.Equal(
            ["display.size: '128x64' is not one of 16x2, 20x4 for hd44780", "display.address: 200 is not a 7-bit device address (8 to 119)"],
            new DisplayConfig { Type = "hd44780", Size = "128x64", Address = 200 }.Validate());
        Assert.Equal(["display.type: 'st7735' is not \"hd44780\" or \"ssd1306\"", "display.bus: -1 is not between 0 and 255 (/dev/i2c-N)"],
            new DisplayConfig { Type = "st7735", Bus = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => FrontPanel.Open(new DisplayConfig { Type = "x" }, new ListLogger()));
    }

    [Fact]
    public void The_local_address_is_an_ipv4_address_that_is_not_loopback_or_none()
    {
        var address = FrontPanel.LocalAddress();
        if (address is not null)
        {
            var ip = System.Net.IPAddress.Parse(address);
            Assert.Equal(System.Net.Sockets.AddressFamily.InterNetwork, ip.AddressFamily);
            Assert.False(System.Net.IPAddress.IsLoopback(ip));
        }
    }

    [Fact]
    public void A_clean_stop_leaves_STOPPED_on_the_glass_not_the_last_state()
    {
        var (panel, _, _) = Open(new DisplayConfig { Type = "hd44780" });
        panel.Show(Sending with { State = FrontPanelState.Ready });
        var device = Device(panel);
        Assert.Equal("xray-room- READY", Lcd(device, 16, 2)[0]);
        panel.Dispose();
        panel.Dispose();
        Assert.Equal(["xray-roo STOPPED", "gateway not runn"], Lcd(device, 16, 2));
        Screenshot.Lcd("lcd-16x2-stopped", Lcd(device, 16, 2), true);
        panel.Show(Sending); // after Dispose: ignored, no exception
    }

    [Fact]
    public void An_lcd_that_went_away_at_any_transfer_of_a_row_shows_the_right_text_when_it_is_back()
    {
        var halfBytes = 0;
        // Every transfer boundary of the cursor command and the first characters of the new top row.
        for (var cut = 0; cut < 16; cut++)
        {
            var (panel, time, log) = Open(new DisplayConfig { Type = "hd44780", RetrySeconds = 10 });
            using var _ = panel;
            panel.Show(Sending);
            var device = Device(panel);
            device.FailAfterWrites = cut;
            var changed = Sending with { BoxName = "ct-2", State = FrontPanelState.Error };
            panel.Show(changed);
            Assert.False(panel.Connected);
            var halfway = new Hd44780Emulator();
            halfway.Feed(device.Writes);
            if (halfway.BetweenNibbles)
                halfBytes++;
            device.Present = true;
            device.FailAfterWrites = null;
            time.Advance(TimeSpan.FromSeconds(10));
            Assert.True(panel.Connected);
            // Re-initialisation (0x3, 0x3, 0x3, 0x2 in 8-bit terms) resynchronises the nibbles, and the screen is cleared.
            var rows = Lcd(device, 16, 2);
            Assert.Equal("ct-2       ERROR", rows[0]);
            Assert.Equal(PanelLayout.Lines(changed, 16, 2, TimeSpan.FromSeconds(10)), rows);
            Assert.Equal(2, log.Lines.Count(l => l.StartsWith("[4101]", StringComparison.Ordinal)));
        }
        Assert.True(halfBytes > 3, $"only {halfBytes} cut(s) left the controller between nibbles");
    }
}
