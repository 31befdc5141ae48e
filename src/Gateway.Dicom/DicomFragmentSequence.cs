namespace Gateway.Dicom;

/// <summary>Encapsulated pixel data: a Basic Offset Table and the compressed fragments (PS3.5 §A.4).</summary>
public sealed class DicomFragmentSequence(DicomTag tag, DicomVR vr, DicomBuffer offsetTable, IReadOnlyList<DicomBuffer> fragments)
    : DicomItem(tag, vr)
{
    public DicomBuffer OffsetTable { get; } = offsetTable;
    public IReadOnlyList<DicomBuffer> Fragments { get; } = fragments;
}
