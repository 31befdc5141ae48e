namespace Gateway.Dicom.Video;

/// <summary>
/// What MPEG-4 AVC/H.264 High Profile / Level 4.1 (1.2.840.10008.1.2.4.102, PS3.5 §8.2.7) can carry, checked before
/// anything is encoded: the picture must fit Level 4.1 (ITU-T H.264 Table A-1: at most 8,192 macroblocks a frame, no
/// side longer than √(8 × 8,192) = 256 macroblocks, at most 245,760 macroblocks a second — 1920×1080 at 30 fps, 1280×720
/// at 60), and, the stream being 4:2:0 (Photometric Interpretation YBR_PARTIAL_420), even in both sides.
/// </summary>
public static class H264Constraints
{
    public const int MaxFrameMacroblocks = 8192;
    public const int MaxMacroblocksPerSecond = 245760;
    public const int MaxSideMacroblocks = 256;

    /// <summary>profile_idc of High Profile and level_idc of Level 4.1 in a sequence parameter set (H.264 §A.2.4, Table A-1).</summary>
    public const int HighProfileIdc = 100;
    public const int Level41Idc = 41;

    /// <summary>Null when the size and rate fit, else the reason in words.</summary>
    public static string? Check(int width, int height, int fps)
    {
        if (width < 16 || height < 16)
            return $"{width}x{height} is too small for H.264 (at least 16x16)";
        if (width % 2 != 0 || height % 2 != 0)
            return $"{width}x{height}: both sides must be even (4:2:0 chroma, PS3.5 §8.2.7)";
        if (fps is < 1 or > 60)
            return $"{fps} fps: the frame rate must be 1 to 60";
        var mbW = (width + 15) / 16;
        var mbH = (height + 15) / 16;
        if (mbW > MaxSideMacroblocks || mbH > MaxSideMacroblocks || mbW * mbH > MaxFrameMacroblocks)
            return $"{width}x{height} is larger than H.264 Level 4.1 allows (at most {MaxFrameMacroblocks} macroblocks a frame, e.g. 1920x1080)";
        if ((long)mbW * mbH * fps > MaxMacroblocksPerSecond)
            return $"{width}x{height} at {fps} fps is more than H.264 Level 4.1 allows ({MaxMacroblocksPerSecond} macroblocks a second: 1920x1080 at most 30 fps, 1280x720 at most 60)";
        return null;
    }
}
