namespace Gateway.Dicom;

/// <summary>
/// An element with a value. A value read from a file is kept as its bytes, unchanged, so that a value which breaks
/// its VR's rules is forwarded byte for byte (lenient reading); a text value we create is kept as text and encoded
/// with the data set's Specific Character Set when written (strict writing validates it when it is set).
/// </summary>
public sealed class DicomElement : DicomItem
{
    private readonly DicomBuffer? _bytes;
    private readonly string? _text;

    public DicomElement(DicomTag tag, DicomVR vr, DicomBuffer bytes) : base(tag, vr) => _bytes = bytes;

    internal DicomElement(DicomTag tag, DicomVR vr, string text) : base(tag, vr) => _text = text;

    /// <summary>True when the value came as bytes (from a file or binary data); false for text we created.</summary>
    public bool HasBytes => _bytes is not null;

    /// <summary>The raw bytes. For created text, encoded with <paramref name="characterSet"/>.</summary>
    public DicomBuffer GetBuffer(DicomCharacterSet characterSet) =>
        _bytes ?? DicomBuffer.From(characterSet.Encode(_text!, VR, Tag));

    /// <summary>The raw bytes of a value that was read or set as bytes.</summary>
    public DicomBuffer Buffer => _bytes ?? throw new InvalidOperationException($"{Tag} holds text, not bytes");

    /// <summary>The value as text (all values, separated by backslash), without trailing padding.</summary>
    public string GetText(DicomCharacterSet characterSet)
    {
        if (_text is not null)
            return _text;
        var span = _bytes!.Memory.Span;
        var text = VR.UsesCharacterSet ? characterSet.Decode(span, VR) : DicomCharacterSet.DecodeDefault(span);
        return TrimPadding(text, VR);
    }

    public long Length => _bytes?.Length ?? _text!.Length;

    internal static string TrimPadding(string text, DicomVR vr)
    {
        // UI is padded with NUL; other text VRs with spaces (PS3.5 §6.2). Many writers pad with NUL anyway.
        var end = text.Length;
        while (end > 0 && (text[end - 1] == '\0' || (text[end - 1] == ' ' && vr != DicomVR.UT && vr != DicomVR.UR)))
            end--;
        if (vr == DicomVR.UR || vr == DicomVR.UT)
        {
            while (end > 0 && text[end - 1] == ' ')
                end--;
        }
        return end == text.Length ? text : text[..end];
    }
}
