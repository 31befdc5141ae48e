namespace Gateway.Dicom;

/// <summary>How a data set is read.</summary>
public sealed record DicomReadOptions
{
    public static readonly DicomReadOptions Default = new();

    /// <summary>Values of bulk VRs (OB, OW, UN …) at least this long stay in the file until asked for, when reading a file.</summary>
    public int LazyThreshold { get; init; } = 64 * 1024;

    /// <summary>Sequences nested deeper than this are refused (a malicious file must not exhaust the stack).</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Stop after the last element before this tag (e.g. Pixel Data), leaving the rest unread.</summary>
    public DicomTag? StopBefore { get; init; }

    /// <summary>Read only elements of this group at the top level (File Meta Information: 0002), stopping at any other.</summary>
    internal ushort? OnlyGroup { get; init; }
}
