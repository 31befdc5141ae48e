namespace Gateway.Dicom.Iod;

/// <summary>The objects the gateway writes (PS3.3 Annex A), by their `gateway wrap --iod` name.</summary>
public enum IodKind
{
    /// <summary>sc: Secondary Capture Image (A.8.1).</summary>
    SecondaryCapture,
    /// <summary>sc-mf-gray8: Multi-frame Grayscale Byte SC (A.8.3).</summary>
    MultiFrameGrayscaleByte,
    /// <summary>sc-mf-gray16: Multi-frame Grayscale Word SC (A.8.4), 9 to 16 bits stored.</summary>
    MultiFrameGrayscaleWord,
    /// <summary>sc-mf-color: Multi-frame True Color SC (A.8.5).</summary>
    MultiFrameTrueColor,
    /// <summary>dx: Digital X-Ray Image, For Presentation (A.26).</summary>
    DxForPresentation,
    /// <summary>dx-proc: Digital X-Ray Image, For Processing (A.26).</summary>
    DxForProcessing,
    /// <summary>us: Ultrasound Image (A.6).</summary>
    Ultrasound,
    /// <summary>us-mf: Ultrasound Multi-frame Image (A.7).</summary>
    UltrasoundMultiFrame,
    /// <summary>vl-endo: VL Endoscopic Image (A.32.1).</summary>
    VlEndoscopic,
    /// <summary>vl-photo: VL Photographic Image (A.32.4).</summary>
    VlPhotographic,
    /// <summary>video-endo: Video Endoscopic Image (A.32.5), an H.264 clip.</summary>
    VideoEndoscopic,
    /// <summary>video-photo: Video Photographic Image (A.32.7), an H.264 clip.</summary>
    VideoPhotographic,
}

/// <summary>What each IOD is and which pixel formats it allows.</summary>
public sealed record IodInfo(IodKind Kind, string Name, string SopClassUid, string Modality, bool MultiFrame,
    IReadOnlyList<(int Samples, int BitsAllocated)> Formats, int MinBitsStored = 1)
{
    public static readonly IReadOnlyList<IodInfo> All =
    [
        new(IodKind.SecondaryCapture, "sc", DicomUids.SecondaryCaptureImageStorage, "OT", false, [(1, 8), (1, 16), (3, 8)]),
        new(IodKind.MultiFrameGrayscaleByte, "sc-mf-gray8", DicomUids.MultiFrameGrayscaleByteSecondaryCaptureImageStorage, "OT", true, [(1, 8)], 8),
        new(IodKind.MultiFrameGrayscaleWord, "sc-mf-gray16", DicomUids.MultiFrameGrayscaleWordSecondaryCaptureImageStorage, "OT", true, [(1, 16)], 9),
        new(IodKind.MultiFrameTrueColor, "sc-mf-color", DicomUids.MultiFrameTrueColorSecondaryCaptureImageStorage, "OT", true, [(3, 8)], 8),
        new(IodKind.DxForPresentation, "dx", DicomUids.DigitalXRayImageStorageForPresentation, "DX", false, [(1, 8), (1, 16)], 6),
        new(IodKind.DxForProcessing, "dx-proc", DicomUids.DigitalXRayImageStorageForProcessing, "DX", false, [(1, 8), (1, 16)], 6),
        // US Image module: Bits Allocated is 8 (PS3.3 C.8.5.6.1.5).
        new(IodKind.Ultrasound, "us", DicomUids.UltrasoundImageStorage, "US", false, [(1, 8), (3, 8)], 8),
        new(IodKind.UltrasoundMultiFrame, "us-mf", DicomUids.UltrasoundMultiFrameImageStorage, "US", true, [(1, 8), (3, 8)], 8),
        new(IodKind.VlEndoscopic, "vl-endo", DicomUids.VLEndoscopicImageStorage, "ES", false, [(1, 8), (3, 8)], 8),
        new(IodKind.VlPhotographic, "vl-photo", DicomUids.VLPhotographicImageStorage, "XC", false, [(1, 8), (3, 8)], 8),
    ];

    /// <summary>The IODs of clips (an H.264 stream in encapsulated pixel data): `gateway capture --clip`, not `wrap`.
    /// The video IODs hold an MPEG stream only (A.32.5, A.32.7); us-mf takes one too (A.7).</summary>
    public static readonly IReadOnlyList<IodInfo> Clips =
    [
        new(IodKind.VideoEndoscopic, "video-endo", DicomUids.VideoEndoscopicImageStorage, "ES", true, [(3, 8)], 8),
        new(IodKind.VideoPhotographic, "video-photo", DicomUids.VideoPhotographicImageStorage, "XC", true, [(3, 8)], 8),
        All.First(i => i.Kind == IodKind.UltrasoundMultiFrame),
    ];

    /// <summary>The IODs a still from a grabber becomes.</summary>
    public static readonly IReadOnlyList<IodInfo> Stills =
        [.. All.Where(i => i.Kind is IodKind.VlEndoscopic or IodKind.VlPhotographic or IodKind.Ultrasound or IodKind.SecondaryCapture)];

    public static IodInfo? FindClip(string name) => Clips.FirstOrDefault(i => i.Name == name);

    public static IodInfo? FindStill(string name) => Stills.FirstOrDefault(i => i.Name == name);

    public static IodInfo Of(IodKind kind) => All.Concat(Clips).First(i => i.Kind == kind);

    /// <summary>MONOCHROME1 is allowed by the Image Pixel rules of SC (A.8.1) and DX (C.8.11.3.1.1); the others ask for MONOCHROME2 or colour.</summary>
    public bool AllowsMonochrome1 => Kind is IodKind.SecondaryCapture or IodKind.DxForPresentation or IodKind.DxForProcessing;

    public static IodInfo? Find(string name) => All.FirstOrDefault(i => i.Name == name);
}
