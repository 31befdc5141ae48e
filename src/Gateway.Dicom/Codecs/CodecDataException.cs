namespace Gateway.Dicom.Codecs;

/// <summary>
/// A codestream is corrupt or truncated at <see cref="Offset"/> (bytes into the frame's compressed data). The
/// transcoder turns it into a <see cref="DicomFormatException"/> that names the frame.
/// </summary>
public sealed class CodecDataException(string message, long offset) : Exception(message)
{
    public long Offset { get; } = offset;
}
