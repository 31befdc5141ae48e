namespace Gateway.Dicom;

/// <summary>Who wrote a file or opened an association (File Meta Information, PS3.7 Annex D.3.3.2).</summary>
public static class DicomImplementation
{
    /// <summary>Our Implementation Class UID: a UUID-derived UID (2.25), fixed for the product.</summary>
    public const string ClassUid = "2.25.62485832576678991356823165807176227205";

    /// <summary>Implementation Version Name (at most 16 characters).</summary>
    public static readonly string VersionName = "GATEWAY_" + (typeof(DicomImplementation).Assembly.GetName().Version?.ToString(3) ?? "0");
}
