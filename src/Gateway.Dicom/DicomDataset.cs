using System.Collections;

namespace Gateway.Dicom;

/// <summary>
/// A data set: elements ordered by tag (PS3.5 §7.1). Items of a sequence are data sets whose
/// <see cref="Parent"/> supplies the Specific Character Set when they have none of their own (PS3.5 §7.5.3).
/// Not thread-safe.
/// </summary>
public sealed partial class DicomDataset : IEnumerable<DicomItem>
{
    private readonly List<DicomItem> _items = [];
    private DicomCharacterSet? _characterSet;

    public DicomDataset() { }

    public DicomDataset(IEnumerable<DicomItem> items)
    {
        foreach (var i in items)
            AddOrUpdate(i);
    }

    /// <summary>The data set that holds the sequence this item belongs to, if any.</summary>
    public DicomDataset? Parent { get; internal set; }

    public int Count => _items.Count;

    /// <summary>The character set for text in this data set: its own (0008,0005), else its parent's, else the default.</summary>
    public DicomCharacterSet CharacterSet
    {
        get
        {
            if (_characterSet is not null)
                return _characterSet;
            if (Find(DicomTags.SpecificCharacterSet) is DicomElement e)
                return _characterSet = DicomCharacterSet.FromTerms(SplitValues(e.GetText(DicomCharacterSet.Default)));
            return Parent?.CharacterSet ?? DicomCharacterSet.Default;
        }
    }

    public bool Contains(DicomTag tag) => IndexOf(tag) >= 0;

    public DicomItem? Find(DicomTag tag)
    {
        var i = IndexOf(tag);
        return i >= 0 ? _items[i] : null;
    }

    /// <summary>Adds an item or replaces the one with the same tag.</summary>
    public DicomDataset AddOrUpdate(DicomItem item)
    {
        if (item.Tag == DicomTags.SpecificCharacterSet)
            _characterSet = null;
        if (item is DicomSequence sq)
            sq.AttachTo(this);
        // Elements mostly arrive in ascending order (parsing, IOD builders): append is the fast path.
        if (_items.Count == 0 || _items[^1].Tag < item.Tag)
        {
            _items.Add(item);
            return this;
        }
        var i = IndexOf(item.Tag);
        if (i >= 0)
            _items[i] = item;
        else
            _items.Insert(~i, item);
        return this;
    }

    public bool Remove(DicomTag tag)
    {
        var i = IndexOf(tag);
        if (i < 0)
            return false;
        if (tag == DicomTags.SpecificCharacterSet)
            _characterSet = null;
        _items.RemoveAt(i);
        return true;
    }

    /// <summary>Removes every element whose tag matches.</summary>
    public int RemoveAll(Func<DicomTag, bool> predicate) => _items.RemoveAll(i => predicate(i.Tag));

    private int IndexOf(DicomTag tag)
    {
        int lo = 0, hi = _items.Count - 1;
        var v = tag.Value;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var m = _items[mid].Tag.Value;
            if (m == v)
                return mid;
            if (m < v)
                lo = mid + 1;
            else
                hi = mid - 1;
        }
        return ~lo;
    }

    /// <summary>The private creator (gggg,00xx) value that owns a private tag's block, PS3.5 §7.8.1.</summary>
    public string? GetPrivateCreator(DicomTag tag)
    {
        if (!tag.IsPrivate || tag.IsPrivateCreator || tag.Element < 0x1000)
            return null;
        return Find(tag.PrivateCreatorTag) is DicomElement e ? e.GetText(CharacterSet) : null;
    }

    /// <summary>
    /// Reserves (or finds) the private block of <paramref name="creator"/> in <paramref name="group"/> and returns the
    /// tag for <paramref name="elementOffset"/> (0x00–0xFF) in it, e.g. creator "ACME 1.0" in 0029 → (0029,10xx).
    /// </summary>
    public DicomTag PrivateTag(ushort group, string creator, byte elementOffset)
    {
        if ((group & 1) == 0 || group < 0x0009)
            throw new ArgumentException($"group {group:X4} is not a private group", nameof(group));
        for (ushort block = 0x10; block <= 0xFF; block++)
        {
            var ct = new DicomTag(group, block);
            if (Find(ct) is not DicomElement e)
            {
                Set(ct, DicomVR.LO, creator);
                return new DicomTag(group, (ushort)((block << 8) | elementOffset));
            }
            if (e.GetText(CharacterSet) == creator)
                return new DicomTag(group, (ushort)((block << 8) | elementOffset));
        }
        throw new InvalidOperationException($"no free private block in group {group:X4}");
    }

    public IEnumerator<DicomItem> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal static string[] SplitValues(string text) => text.Length == 0 ? [] : text.Split('\\');
}
