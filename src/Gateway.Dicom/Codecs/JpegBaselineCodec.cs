namespace Gateway.Dicom.Codecs;

/// <summary>
/// JPEG Baseline (Process 1), 1.2.840.10008.1.2.4.50: lossy, 8 bits, grey or colour (ITU-T T.81 | ISO/IEC 10918-1).
/// We encode MONOCHROME1/2 as one component and RGB (or YBR_FULL) as YCbCr 4:2:2, which the data set then calls
/// YBR_FULL_422 (PS3.5 §8.2.1); we decode what other writers send too (see <see cref="JpegBaselineDecoder"/>), colour
/// always to RGB. Our own code (the managed libraries measured 0.08–0.17× libjpeg-turbo, docs/benchmarks.md).
/// </summary>
public sealed class JpegBaselineCodec : IPixelCodec
{
    public DicomTransferSyntax TransferSyntax => DicomTransferSyntax.JpegBaseline;

    public void CheckCanEncode(PixelDescription description, CodecOptions options)
    {
        var d = description;
        if (d.BitsAllocated != 8 || d.BitsStored > 8 || d.IsSigned)
            throw new NotSupportedException($"JPEG baseline codes unsigned 8-bit samples; this image has {d.BitsStored} stored of {d.BitsAllocated} allocated{(d.IsSigned ? ", signed" : "")}");
        var photometric = d.SamplesPerPixel == 1 ? d.Photometric is "MONOCHROME1" or "MONOCHROME2" : d.Photometric is "RGB" or "YBR_FULL";
        if (!photometric)
            throw new NotSupportedException($"JPEG baseline does not encode Photometric Interpretation {d.Photometric} with {d.SamplesPerPixel} samples (MONOCHROME1/2, RGB or YBR_FULL)");
        if (options.Quality is < 1 or > 100)
            throw new NotSupportedException($"JPEG quality {options.Quality} is not 1–100");
    }

    public byte[] Encode(ReadOnlySpan<byte> frame, PixelDescription description, CodecOptions options)
    {
        CheckCanEncode(description, options);
        return JpegBaselineEncoder.Encode(frame, description, options.Quality);
    }

    public void Decode(ReadOnlySpan<byte> data, PixelDescription description, Span<byte> frame) =>
        JpegBaselineDecoder.Decode(data, description, frame);
}
