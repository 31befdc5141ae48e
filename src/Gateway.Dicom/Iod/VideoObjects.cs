using System.Globalization;
using Gateway.Dicom.Imaging;

namespace Gateway.Dicom.Iod;

/// <summary>
/// Data sets for what a video grabber makes (issue #20): clips as MPEG-4 AVC/H.264 High Profile / Level 4.1 in Video
/// Endoscopic, Video Photographic or Ultrasound Multi-frame, and stills as JPEG Baseline. Built on
/// <see cref="IodBuilder"/>'s modules, with what compressed video changes: Photometric Interpretation of the stream
/// (YBR_PARTIAL_420 for H.264, YBR_FULL_422 for a baseline JPEG of 4:2:2 samples), Lossy Image Compression 01 and its
/// method, and the Cine and Multi-frame modules from the stream's rate (Frame Time, Cine Rate, Recommended Display
/// Frame Rate; Frame Increment Pointer to Frame Time). Number of Frames is set by <see cref="Video.VideoClipWriter"/>
/// from the access units actually written.
/// </summary>
public static class VideoObjects
{
    /// <summary>Lossy Image Compression Method (0028,2114) defined terms (PS3.3 C.7.6.1.1.5).</summary>
    public const string Iso14496Part10 = "ISO_14496_10";
    public const string Iso10918Part1 = "ISO_10918_1";

    /// <summary>Everything of a clip but Pixel Data and Number of Frames.</summary>
    public static DicomDataset Clip(IodKind kind, int width, int height, int fps, DicomDataset metadata, InstanceIdentity identity, TimeProvider? time = null)
    {
        if (IodInfo.Of(kind) is not { } info || !IodInfo.Clips.Contains(info))
            throw new DicomValueException($"{kind} does not hold a video clip (video-endo, video-photo, us-mf do)");
        // The VL Image module of the video IODs requires the anatomy (Anatomic Region Sequence, type 1C): only the
        // profile or the technician knows it; a guessed one would file the clip under the wrong organ.
        if (kind is IodKind.VideoEndoscopic or IodKind.VideoPhotographic && metadata.Find(DicomTags.AnatomicRegionSequence) is not DicomSequence { Items.Count: > 0 })
            throw new DicomValueException($"{info.Name} needs AnatomicRegionSequence (the anatomy filmed, e.g. [{{\"CodeValue\": \"71854001\", \"CodingSchemeDesignator\": \"SCT\", \"CodeMeaning\": \"Colon\"}}]) in the metadata: the VL Image module requires it for video");
        var format = new ImageFormat(width, height, 3, 8, 8);
        var ds = new IodBuilder(time).Build(kind, [new Frame(format, DicomBuffer.Empty)], metadata, identity);
        ds.Remove(DicomTags.PixelData);
        ds.Remove(DicomTags.NumberOfFrames);
        Anatomy(ds, metadata);
        // PS3.5 §8.2.7: 8 bits, 3 samples, YBR_PARTIAL_420, planar configuration 0.
        ds.Set(DicomTags.PhotometricInterpretation, "YBR_PARTIAL_420");
        ds.Set(DicomTags.PlanarConfiguration, (ushort)0);
        Lossy(ds, Iso14496Part10, null);
        var frameTime = 1000.0 / fps;
        ds.Set(DicomTags.FrameIncrementPointer, DicomTags.FrameTime);
        ds.Set(DicomTags.FrameTime, Math.Round(frameTime, 3));
        ds.Set(DicomTags.CineRate, fps);
        ds.Set(DicomTags.RecommendedDisplayFrameRate, fps);
        ds.Set(DicomTags.PreferredPlaybackSequencing, (ushort)0); // looping
        if (kind == IodKind.UltrasoundMultiFrame)
            ds.Set(DicomTags.ImageType, IodDefaults.UltrasoundImageType);
        return ds;
    }

    /// <summary>A still as JPEG Baseline: <paramref name="jpeg"/> is a 3-component baseline codestream of 4:2:2 YCbCr.</summary>
    public static DicomDataset JpegStill(IodKind kind, int width, int height, ReadOnlyMemory<byte> jpeg, DicomDataset metadata, InstanceIdentity identity, TimeProvider? time = null)
    {
        var format = new ImageFormat(width, height, 3, 8, 8);
        var ds = Still(kind, format, DicomBuffer.Empty, metadata, identity, time);
        ds.Remove(DicomTags.PixelData);
        ds.AddOrUpdate(new DicomFragmentSequence(DicomTags.PixelData, DicomVR.OB, DicomBuffer.Empty, [DicomBuffer.From(jpeg)]));
        ds.Set(DicomTags.PhotometricInterpretation, "YBR_FULL_422");
        ds.Set(DicomTags.PlanarConfiguration, (ushort)0);
        Lossy(ds, Iso10918Part1, (double)format.FrameLength / jpeg.Length);
        return ds;
    }

    /// <summary>A still of native RGB pixels (<paramref name="rgb"/>: width × height × 3 bytes).</summary>
    public static DicomDataset RgbStill(IodKind kind, int width, int height, DicomBuffer rgb, DicomDataset metadata, InstanceIdentity identity, TimeProvider? time = null)
    {
        var format = new ImageFormat(width, height, 3, 8, 8);
        if (rgb.Length != format.FrameLength)
            throw new DicomValueException($"the frame has {rgb.Length} bytes, {width}x{height} RGB needs {format.FrameLength}");
        return Still(kind, format, rgb, metadata, identity, time);
    }

    private static DicomDataset Still(IodKind kind, ImageFormat format, DicomBuffer pixels, DicomDataset metadata, InstanceIdentity identity, TimeProvider? time)
    {
        if (IodInfo.Of(kind) is not { } info || !IodInfo.Stills.Contains(info))
            throw new DicomValueException($"{kind} does not hold a still from a grabber (vl-endo, vl-photo, us, sc do)");
        var ds = new IodBuilder(time).Build(kind, [new Frame(format, pixels)], metadata, identity);
        Anatomy(ds, metadata);
        // Secondary Capture from a video signal: Conversion Type DV, digitized video (PS3.3 C.8.6.1).
        if (kind == IodKind.SecondaryCapture && !metadata.Contains(DicomTags.ConversionType))
            ds.Set(DicomTags.ConversionType, "DV");
        return ds;
    }

    /// <summary>With the anatomy given, Laterality (type 2C: only for a paired body part) is left out unless the metadata sets it.</summary>
    private static void Anatomy(DicomDataset ds, DicomDataset metadata)
    {
        if (metadata.Contains(DicomTags.AnatomicRegionSequence) && !metadata.Contains(DicomTags.Laterality))
            ds.Remove(DicomTags.Laterality);
    }

    private static void Lossy(DicomDataset ds, string method, double? ratio)
    {
        ds.Set(DicomTags.LossyImageCompression, "01");
        ds.Set(DicomTags.LossyImageCompressionMethod, method);
        if (ratio is { } r)
            ds.Set(DicomTags.LossyImageCompressionRatio, Math.Round(r, 2).ToString("0.##", CultureInfo.InvariantCulture));
    }
}
