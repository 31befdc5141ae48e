namespace Gateway.Dicom.Codecs;

/// <summary>
/// A lossy step on an existing object makes a different object (PS3.3 §C.7.6.1.1.5, PS3.4 "SOP Instance UID"
/// rules): it gets a new SOP Instance UID, says how it was derived in Derivation Description (0008,2111), and names
/// its predecessor in Source Image Sequence (0008,2112) with purpose (121320, DCM, "Uncompressed predecessor"), so a
/// PACS never holds two different pixel sets under one UID and a reader can find the original.
/// </summary>
public static class LossyDerivation
{
    public static void Apply(DicomDataset result, DicomDataset source, string description)
    {
        var classUid = source.TryGetString(DicomTags.SOPClassUID)?.Trim('\0', ' ');
        var instanceUid = source.TryGetString(DicomTags.SOPInstanceUID)?.Trim('\0', ' ');
        var previous = source.TryGetString(DicomTags.DerivationDescription)?.Trim();
        var text = string.IsNullOrEmpty(previous) ? description : $"{previous}; {description}";
        result.Set(DicomTags.DerivationDescription, text.Length > 1024 ? text[^1024..] : text); // ST holds 1024 characters
        if (classUid is { Length: > 0 } && instanceUid is { Length: > 0 })
        {
            var purpose = new DicomDataset()
                .Set(DicomTags.CodeValue, "121320")
                .Set(DicomTags.CodingSchemeDesignator, "DCM")
                .Set(DicomTags.CodeMeaning, "Uncompressed predecessor");
            var reference = new DicomDataset()
                .Set(DicomTags.ReferencedSOPClassUID, classUid)
                .Set(DicomTags.ReferencedSOPInstanceUID, instanceUid)
                .SetSequence(DicomTags.PurposeOfReferenceCodeSequence, purpose);
            var earlier = source.Find(DicomTags.SourceImageSequence) is DicomSequence s ? s.Items : [];
            result.SetSequence(DicomTags.SourceImageSequence, [.. earlier, reference]);
        }
        result.Set(DicomTags.SOPInstanceUID, DicomUidGenerator.Default.NewUid());
    }
}
