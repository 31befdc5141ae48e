namespace Gateway.Dicom.Codecs;

/// <summary>
/// The Image Pixel attributes a codec needs (PS3.3 §C.7.6.3): geometry, sample layout and bit depth of every frame.
/// Read once from the data set and checked, so that no codec allocates from a size it has not been told.
/// </summary>
public sealed record PixelDescription(
    int Rows,
    int Columns,
    int SamplesPerPixel,
    int BitsAllocated,
    int BitsStored,
    bool IsSigned,
    int PlanarConfiguration,
    int Frames,
    string Photometric)
{
    /// <summary>The largest native frame a codec accepts (4 GiB minus a little: one byte array).</summary>
    public const long MaxFrameBytes = int.MaxValue - 64;

    public int BytesPerSample => BitsAllocated / 8;
    public int Pixels => Rows * Columns;
    public long FrameBytes => (long)Rows * Columns * SamplesPerPixel * BytesPerSample;
    public long TotalBytes => FrameBytes * Frames;

    public static PixelDescription FromDataset(DicomDataset dataset)
    {
        int Get(DicomTag tag, int fallback) => dataset.Find(tag) is DicomElement e && e.Length > 0 ? dataset.GetInt(tag) : fallback;
        var d = new PixelDescription(
            Get(DicomTags.Rows, 0),
            Get(DicomTags.Columns, 0),
            Get(DicomTags.SamplesPerPixel, 1),
            Get(DicomTags.BitsAllocated, 0),
            Get(DicomTags.BitsStored, Get(DicomTags.BitsAllocated, 0)),
            Get(DicomTags.PixelRepresentation, 0) == 1,
            Get(DicomTags.PlanarConfiguration, 0),
            Math.Max(Get(DicomTags.NumberOfFrames, 1), 1),
            dataset.TryGetString(DicomTags.PhotometricInterpretation)?.Trim() ?? "");
        d.Validate();
        return d;
    }

    /// <summary>Throws <see cref="NotSupportedException"/> for a layout no codec here handles.</summary>
    public void Validate()
    {
        if (Rows is < 1 or > 65535 || Columns is < 1 or > 65535)
            throw new NotSupportedException($"an image of {Rows} rows × {Columns} columns cannot be compressed or decompressed");
        if (SamplesPerPixel is not (1 or 3))
            throw new NotSupportedException($"Samples per Pixel {SamplesPerPixel} is not supported (1 or 3)");
        if (BitsAllocated is not (8 or 16 or 32))
            throw new NotSupportedException($"Bits Allocated {BitsAllocated} is not supported (8, 16 or 32)");
        if (BitsStored < 1 || BitsStored > BitsAllocated)
            throw new NotSupportedException($"Bits Stored {BitsStored} does not fit Bits Allocated {BitsAllocated}");
        if (FrameBytes > MaxFrameBytes)
            throw new NotSupportedException($"a frame of {FrameBytes} bytes is larger than a codec handles");
    }
}
