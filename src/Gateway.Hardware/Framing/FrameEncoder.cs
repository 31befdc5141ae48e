using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Gateway.Dicom.Imaging;

namespace Gateway.Hardware.Framing;

/// <summary>
/// Writes frames as a device of the profile sends them: sync, header, payload (in the device's byte order), checksum.
/// The simulator and the tests use it; the decoder must read back exactly what it writes.
/// </summary>
public static class FrameEncoder
{
    /// <param name="pixels">Little endian, as DICOM stores them.</param>
    /// <param name="values">Values of the keyword fields by field name, before scaling (what the device would send).</param>
    public static byte[] Encode(FrameFormat f, ImageFormat image, ReadOnlySpan<byte> pixels, long frameNumber, IReadOnlyDictionary<string, double>? values = null)
    {
        var checksumSize = f.ChecksumKind.Size();
        var frame = new byte[f.Sync.Length + f.HeaderLength + pixels.Length + checksumSize];
        f.Sync.CopyTo(frame, 0);
        var header = frame.AsSpan(f.Sync.Length, f.HeaderLength);
        foreach (var field in f.Fields)
        {
            double value = field.Name switch
            {
                HeaderLayout.Width => image.Columns,
                HeaderLayout.Height => image.Rows,
                HeaderLayout.BitsStored => image.BitsStored,
                HeaderLayout.Samples => image.SamplesPerPixel,
                HeaderLayout.FrameNumber => frameNumber,
                HeaderLayout.PayloadLength => pixels.Length,
                _ => values?.GetValueOrDefault(field.Name) ?? 0,
            };
            field.Write(header, value);
        }
        var payload = frame.AsSpan(f.Sync.Length + f.HeaderLength, pixels.Length);
        pixels.CopyTo(payload);
        if (f.PixelBigEndian && image.BitsAllocated == 16)
        {
            var words = MemoryMarshal.Cast<byte, ushort>(payload);
            BinaryPrimitives.ReverseEndianness(words, words);
        }
        var covered = f.ChecksumCoversSync ? frame.AsSpan(0, frame.Length - checksumSize)
            : f.ChecksumCoversHeader ? frame.AsSpan(f.Sync.Length, frame.Length - f.Sync.Length - checksumSize)
            : payload;
        var sum = Checksum.Compute(f.ChecksumKind, covered);
        var tail = frame.AsSpan(frame.Length - checksumSize);
        switch (checksumSize)
        {
            case 1:
                tail[0] = (byte)sum;
                break;
            case 2:
                if (f.ChecksumBigEndian) BinaryPrimitives.WriteUInt16BigEndian(tail, (ushort)sum); else BinaryPrimitives.WriteUInt16LittleEndian(tail, (ushort)sum);
                break;
            case 4:
                if (f.ChecksumBigEndian) BinaryPrimitives.WriteUInt32BigEndian(tail, sum); else BinaryPrimitives.WriteUInt32LittleEndian(tail, sum);
                break;
        }
        return frame;
    }
}
