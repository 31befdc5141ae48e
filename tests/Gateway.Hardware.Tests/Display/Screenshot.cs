using Gateway.Dicom.Imaging;
using Gateway.Hardware.Display;
using Gateway.Testing;

namespace Gateway.Hardware.Tests.Display;

/// <summary>What a display showed, as a PNG under artifacts/screenshots (kept by CI with the other screenshots).</summary>
internal static class Screenshot
{
    private const int Scale = 4;

    /// <summary>A character LCD: 5×8 cells 1 pixel apart, drawn with the font the HD44780's ROM shares with ours.</summary>
    public static string Lcd(string name, string[] rows, bool backlight)
    {
        var columns = rows.Max(r => r.Length);
        int w = (columns * 6) + 5, h = (rows.Length * 9) + 5;
        var rgb = new byte[w * h * 3 * Scale * Scale];
        byte[] back = backlight ? [120, 170, 30] : [40, 60, 20], off = backlight ? [110, 158, 28] : [36, 55, 18], on = [20, 36, 12];
        Fill(rgb, w * Scale, 0, 0, w, h, back);
        for (var r = 0; r < rows.Length; r++)
        {
            for (var c = 0; c < rows[r].Length; c++)
            {
                var glyph = Font5x7.Glyph(rows[r][c]);
                for (var x = 0; x < 5; x++)
                {
                    for (var y = 0; y < 8; y++)
                        Fill(rgb, w * Scale, 3 + (c * 6) + x, 3 + (r * 9) + y, 1, 1, ((glyph[x] >> y) & 1) != 0 ? on : off);
                }
            }
        }
        return Save(name, w * Scale, h * Scale, rgb);
    }

    /// <summary>An OLED's graphic RAM, pixel for pixel.</summary>
    public static string Oled(string name, Ssd1306Emulator oled, int height)
    {
        int w = Ssd1306Emulator.Width;
        var rgb = new byte[w * height * 3 * Scale * Scale];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < w; x++)
                Fill(rgb, w * Scale, x, y, 1, 1, oled.Pixel(x, y) ? [190, 225, 255] : [8, 8, 16]);
        }
        return Save(name, w * Scale, height * Scale, rgb);
    }

    private static void Fill(byte[] rgb, int stride, int x0, int y0, int w, int h, byte[] colour)
    {
        for (var y = y0 * Scale; y < (y0 + h) * Scale; y++)
        {
            for (var x = x0 * Scale; x < (x0 + w) * Scale; x++)
                colour.CopyTo(rgb, ((y * stride) + x) * 3);
        }
    }

    private static string Save(string name, int w, int h, byte[] rgb)
    {
        var dir = Directory.CreateDirectory(Path.Combine(Repository.Root, "artifacts", "screenshots")).FullName;
        var path = Path.Combine(dir, name + ".png");
        File.WriteAllBytes(path, PngWriter.Write(w, h, 3, rgb));
        return path;
    }
}
