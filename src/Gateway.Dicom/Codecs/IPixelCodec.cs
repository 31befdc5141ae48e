namespace Gateway.Dicom.Codecs;

/// <summary>
/// One compressed transfer syntax: a frame of native pixel data (little endian, the data set's Planar Configuration)
/// to one fragment's bytes and back. Implementations are stateless and thread-safe.
/// </summary>
public interface IPixelCodec
{
    DicomTransferSyntax TransferSyntax { get; }

    /// <summary>Throws <see cref="NotSupportedException"/> when this codec cannot encode that layout.</summary>
    void CheckCanEncode(PixelDescription description, CodecOptions options);

    /// <summary>The compressed bytes of one frame (not yet padded to even length).</summary>
    byte[] Encode(ReadOnlySpan<byte> frame, PixelDescription description, CodecOptions options);

    /// <summary>
    /// Decodes one frame into <paramref name="frame"/> (exactly <see cref="PixelDescription.FrameBytes"/> long).
    /// Corrupt or truncated input raises <see cref="CodecDataException"/> with the offset into <paramref name="data"/>.
    /// </summary>
    void Decode(ReadOnlySpan<byte> data, PixelDescription description, Span<byte> frame);
}
