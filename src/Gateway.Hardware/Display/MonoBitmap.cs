using System.Drawing;
using System.Runtime.InteropServices;
using Iot.Device.Graphics;

namespace Gateway.Hardware.Display;

/// <summary>
/// A plain managed 32-bit ARGB image for the SSD1306 binding. Iot.Device.Graphics wants an image factory before an
/// Ssd13xx can even be constructed (its constructor clears the screen through one); the binding's own factory is the
/// SkiaSharp adapter, a separate package with a native library we do not want on the box for a 128×64 status screen.
/// We draw text with our own 5×7 font, so this image needs no drawing API.
/// </summary>
internal sealed class MonoBitmap : BitmapImage
{
    private readonly int[] _argb;

    public MonoBitmap(int width, int height)
        : base(width, height, width * 4, PixelFormat.Format32bppArgb) => _argb = new int[width * height];

    public override void SetPixel(int x, int y, Color color) => _argb[(y * Width) + x] = color.ToArgb();

    public override Color GetPixel(int x, int y) => Color.FromArgb(_argb[(y * Width) + x]);

    public override Span<byte> AsByteSpan() => MemoryMarshal.AsBytes(_argb.AsSpan());

    public override void SaveToStream(Stream stream, ImageFileType format) =>
        throw new NotSupportedException("the front panel's image is only ever sent to the display");

    public override IGraphics GetDrawingApi() =>
        throw new NotSupportedException("the front panel draws its text itself (Font5x7)");

    protected override void Dispose(bool disposing)
    {
    }

    /// <summary>Makes <see cref="MonoBitmap"/> the image type of Iot.Device.Graphics (process-wide: the binding keeps one factory).</summary>
    internal sealed class Factory : IImageFactory
    {
        public BitmapImage CreateBitmap(int width, int height, PixelFormat pixelFormat) => new MonoBitmap(width, height);

        public BitmapImage CreateFromStream(Stream file) =>
            throw new NotSupportedException("the front panel loads no images");
    }
}
