namespace Gateway.Dicom.Imaging;

/// <summary>Raw pixels with a format given on the command line (`--raw WxH --bits 8|16 --samples 1|3`), 16-bit little endian.</summary>
public sealed class RawImage(string path, ImageFormat format) : IImageSource
{
    public string Path { get; } = path;
    public ImageFormat Format { get; } = Check(path, format);

    private static ImageFormat Check(string path, ImageFormat format)
    {
        PnmImage.CheckDimensions(path, format.Columns, format.Rows);
        var length = new FileInfo(path).Length;
        if (length != format.FrameLength)
            throw new ImageFormatException($"{path}: {length} bytes, but {format} is {format.FrameLength} bytes");
        return format;
    }

    public byte[] DecodePixels() => File.ReadAllBytes(Path);
}
