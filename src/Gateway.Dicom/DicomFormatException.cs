namespace Gateway.Dicom;

/// <summary>
/// The bytes are not a well-formed DICOM encoding. The message names the offset (and the tag when known) so an
/// operator can find the fault with a hex dump.
/// </summary>
public sealed class DicomFormatException : Exception
{
    public DicomFormatException(string message, long offset, DicomTag? tag = null, Exception? inner = null)
        : base(Format(message, offset, tag), inner)
    {
        Offset = offset;
        Tag = tag;
    }

    public long Offset { get; }
    public DicomTag? Tag { get; }

    private static string Format(string message, long offset, DicomTag? tag) =>
        tag is { } t ? $"{message} (element {t} at offset {offset})" : $"{message} (at offset {offset})";
}
