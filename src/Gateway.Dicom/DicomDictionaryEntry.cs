namespace Gateway.Dicom;

/// <summary>One row of the PS3.6 data dictionary.</summary>
/// <param name="Tag">The tag (for repeating groups, the first one, e.g. 6000).</param>
/// <param name="Mask">Bits of a tag that must equal <paramref name="Tag"/>; 0xFFFFFFFF except for repeating groups.</param>
/// <param name="ValueRepresentations">The VR, or several for ambiguous entries such as "US or SS".</param>
public sealed record DicomDictionaryEntry(
    DicomTag Tag, uint Mask, IReadOnlyList<DicomVR> ValueRepresentations, DicomVM VM, string Name, string Keyword, bool IsRetired)
{
    /// <summary>The VR to use when nothing else decides (the first listed).</summary>
    public DicomVR VR => ValueRepresentations[0];

    public bool IsAmbiguous => ValueRepresentations.Count > 1;

    public bool IsRepeating => Mask != 0xFFFFFFFF;
}
