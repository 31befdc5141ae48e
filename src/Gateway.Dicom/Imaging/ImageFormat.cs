namespace Gateway.Dicom.Imaging;

/// <summary>The pixel layout of a frame as DICOM describes it (PS3.3 §C.7.6.3 Image Pixel module).</summary>
/// <param name="SamplesPerPixel">1 (grey) or 3 (RGB, interleaved: Planar Configuration 0).</param>
/// <param name="BitsAllocated">8 or 16.</param>
/// <param name="BitsStored">At most <paramref name="BitsAllocated"/>; High Bit is BitsStored − 1.</param>
public sealed record ImageFormat(int Columns, int Rows, int SamplesPerPixel, int BitsAllocated, int BitsStored)
{
    /// <summary>Rows and Columns are US in DICOM; larger images cannot be encoded.</summary>
    public const int MaxDimension = 65535;

    /// <summary>Grey images whose minimum is white (MONOCHROME1, many CR/DR detectors); allowed by SC and DX only.</summary>
    public bool Inverted { get; init; }

    public string Photometric => SamplesPerPixel == 3 ? "RGB" : Inverted ? "MONOCHROME1" : "MONOCHROME2";
    public long FrameLength => (long)Columns * Rows * SamplesPerPixel * (BitsAllocated / 8);

    public override string ToString() => $"{Columns}×{Rows}, {SamplesPerPixel} sample(s) of {BitsStored}/{BitsAllocated} bits{(Inverted ? ", MONOCHROME1" : "")}";
}

/// <summary>An input image that is not what it claims to be; the message names the file and the problem.</summary>
public sealed class ImageFormatException(string message) : Exception(message);

/// <summary>One input frame: its format known at once, its pixels decoded only when asked for.</summary>
public interface IImageSource
{
    string Path { get; }
    ImageFormat Format { get; }
    /// <summary>The pixels as DICOM stores them: little endian, samples interleaved, top row first.</summary>
    byte[] DecodePixels();
}

/// <summary>A frame whose pixels are decoded when the data set is written, and dropped after: memory ∝ one frame.</summary>
public sealed class DecodedFrameBuffer(IImageSource source) : DicomBuffer
{
    public override long Length => source.Format.FrameLength;
    public override bool IsLoaded => false;
    public override ReadOnlyMemory<byte> Memory => Decode();
    public override void CopyTo(Stream destination) => destination.Write(Decode());

    private byte[] Decode()
    {
        var pixels = source.DecodePixels();
        if (pixels.Length != Length)
            throw new ImageFormatException($"{source.Path}: decoded {pixels.Length} bytes, its header promised {Length}");
        return pixels;
    }
}
