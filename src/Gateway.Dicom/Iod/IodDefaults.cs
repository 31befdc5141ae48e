namespace Gateway.Dicom.Iod;

/// <summary>
/// Every value the builders choose when the metadata does not give one — in one place, with the reason. The metadata
/// (device profile, worklist, technician, META.json) always wins over these.
/// </summary>
public static class IodDefaults
{
    /// <summary>Conversion Type (0008,0064) of SC objects: WSD (workstation) for files wrapped by hand; acquisition
    /// from a device's digital interface sets DI, from a video grabber DV.</summary>
    public const string ConversionType = "WSD";

    /// <summary>Modality of SC objects: OT ("other"), since SC does not say what made the pixels.</summary>
    public const string SecondaryCaptureModality = "OT";

    /// <summary>Image Type of SC objects: DERIVED\SECONDARY (they are captures, not the original acquisition).</summary>
    public static readonly string[] SecondaryImageType = ["DERIVED", "SECONDARY"];

    /// <summary>Image Type of native objects (DX, US, VL): ORIGINAL\PRIMARY — the gateway is the acquisition path.</summary>
    public static readonly string[] OriginalImageType = ["ORIGINAL", "PRIMARY"];

    /// <summary>Patient Orientation (0020,0020), Laterality (0020,0060): empty (type 2/2C) — the gateway cannot know;
    /// dciodvfy warns that empty means "unknown", which is the truth.</summary>
    public const string Unknown = "";

    /// <summary>Image Laterality (0020,0062) of DX (type 1): U (unpaired or unknown) unless the technician says R, L or B.</summary>
    public const string ImageLaterality = "U";

    /// <summary>Burned In Annotation (0028,0301): NO for frames from a detector or files, YES for ultrasound, whose
    /// screens almost always carry the patient's name — so de-identification treats the pixels with care.</summary>
    public const string BurnedInAnnotation = "NO";
    public const string UltrasoundBurnedInAnnotation = "YES";

    /// <summary>Frame Time (0018,1063), ms, for multi-frame objects made of stills: one frame per second.</summary>
    public const double FrameTime = 1000;

    /// <summary>DX (type 1 values): linear intensity, rising with X-ray dose, no rescale, identity presentation LUT,
    /// not lossy. DX requires Imager Pixel Spacing and Patient Orientation from the metadata (device profile or
    /// technician): a guessed spacing would make measurements wrong, a guessed orientation would flip the image.</summary>
    public const string PixelIntensityRelationship = "LIN";
    public const int PixelIntensityRelationshipSign = 1;
    public const string PresentationLutShape = "IDENTITY";
    public const string PresentationLutShapeInverse = "INVERSE";
    public const string LossyImageCompression = "00";

    /// <summary>US Image Type (type 2): ORIGINAL\PRIMARY only — value 3 names the anatomy (ABDOMINAL, CARDIAC …), which
    /// only the device or technician knows; they add it through the metadata.</summary>
    public static readonly string[] UltrasoundImageType = ["ORIGINAL", "PRIMARY"];
}
