namespace Gateway.Dicom;

/// <summary>A sequence (SQ) element: an ordered list of item data sets (PS3.5 §7.5).</summary>
public sealed class DicomSequence : DicomItem
{
    private readonly List<DicomDataset> _items = [];

    public DicomSequence(DicomTag tag, IEnumerable<DicomDataset>? items = null) : base(tag, DicomVR.SQ)
    {
        if (items is not null)
        {
            foreach (var i in items)
                _items.Add(i);
        }
    }

    public IReadOnlyList<DicomDataset> Items => _items;

    public void Add(DicomDataset item) => _items.Add(item);

    internal void AttachTo(DicomDataset parent)
    {
        foreach (var i in _items)
            i.Parent = parent;
    }
}
