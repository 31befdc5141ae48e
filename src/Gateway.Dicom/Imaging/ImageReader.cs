namespace Gateway.Dicom.Imaging;

/// <summary>Opens an input image by what its first bytes say it is (PNG, BMP, PGM/PPM), or as raw with a given format.</summary>
public static class ImageReader
{
    public static IImageSource Open(string path, ImageFormat? raw = null)
    {
        if (!File.Exists(path))
            throw new ImageFormatException($"{path}: no such file");
        if (raw is not null)
            return new RawImage(path, raw);
        var head = new byte[8];
        using (var s = File.OpenRead(path))
            _ = s.Read(head);
        if (PngImage.Sniff(head))
            return PngImage.Open(path);
        if (BmpImage.Sniff(head))
            return BmpImage.Open(path);
        if (PnmImage.Sniff(head))
            return PnmImage.Open(path);
        throw new ImageFormatException($"{path}: not a PNG, BMP, PGM or PPM file; for raw pixels give --raw WxH --bits 8|16 --samples 1|3");
    }
}
