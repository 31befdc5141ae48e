using System.Buffers;
using System.Buffers.Binary;

namespace Gateway.Dicom.Codecs;

/// <summary>Reads native frame n of pixel data, decoding it when the pixel data is encapsulated.</summary>
internal abstract class FrameSource
{
    public abstract void Read(int frame, Span<byte> destination);

    public static FrameSource For(DicomItem pixels, IPixelCodec? decoder, PixelDescription d)
    {
        if (pixels is DicomFragmentSequence f)
            return new Encapsulated(FrameFragments(f, d.Frames), decoder!, d);
        if (pixels is not DicomElement e || !e.HasBytes)
            throw new DicomFormatException("the pixel data is neither native bytes nor encapsulated fragments", 0, DicomTags.PixelData);
        if (e.Buffer.Length < d.TotalBytes)
            throw new DicomFormatException(
                $"the pixel data has {e.Buffer.Length} bytes; {d.Frames} frames of {d.Rows}×{d.Columns}×{d.SamplesPerPixel} samples of {d.BitsAllocated} bits need {d.TotalBytes}",
                0, DicomTags.PixelData);
        return new Native(e.Buffer, d);
    }

    /// <summary>
    /// The compressed bytes of each frame (PS3.5 §A.4): one frame takes all fragments; as many fragments as frames
    /// is one each; otherwise the Basic Offset Table says where each frame starts.
    /// </summary>
    internal static IReadOnlyList<DicomBuffer> FrameFragments(DicomFragmentSequence f, int frames)
    {
        var fragments = f.Fragments;
        if (fragments.Count == 0)
            throw new DicomFormatException("the encapsulated pixel data has no fragments", 0, DicomTags.PixelData);
        if (frames == 1)
            return [fragments.Count == 1 ? fragments[0] : DicomBuffer.Concat(fragments)];
        if (fragments.Count == frames)
            return fragments;
        var table = f.OffsetTable.Length == 4L * frames ? f.OffsetTable.Memory.Span : default;
        if (table.IsEmpty || fragments.Count < frames)
            throw new DicomFormatException(
                $"{fragments.Count} fragments for {frames} frames and no Basic Offset Table to tell which belongs to which", 0, DicomTags.PixelData);
        var result = new List<DicomBuffer>(frames);
        long position = 0;
        var next = 0;
        for (var frame = 0; frame < frames; frame++)
        {
            var start = BinaryPrimitives.ReadUInt32LittleEndian(table[(4 * frame)..]);
            var end = frame + 1 < frames ? BinaryPrimitives.ReadUInt32LittleEndian(table[(4 * frame + 4)..]) : long.MaxValue;
            if (position != start)
                throw new DicomFormatException($"the Basic Offset Table puts frame {frame + 1} at {start}, no fragment starts there", 4L * frame, DicomTags.PixelData);
            var parts = new List<DicomBuffer>();
            while (next < fragments.Count && position < end)
            {
                parts.Add(fragments[next]);
                position += 8 + fragments[next].Length;
                next++;
            }
            if (parts.Count == 0)
                throw new DicomFormatException($"frame {frame + 1} has no fragment", 4L * frame, DicomTags.PixelData);
            result.Add(parts.Count == 1 ? parts[0] : DicomBuffer.Concat(parts));
        }
        return result;
    }

    private sealed class Native(DicomBuffer buffer, PixelDescription d) : FrameSource
    {
        public override void Read(int frame, Span<byte> destination) => buffer.CopyRange(frame * d.FrameBytes, destination);
    }

    private sealed class Encapsulated(IReadOnlyList<DicomBuffer> frames, IPixelCodec decoder, PixelDescription d) : FrameSource
    {
        public override void Read(int frame, Span<byte> destination)
        {
            var data = frames[frame];
            // A compressed frame larger than twice its native size plus headers is not one any codec here wrote.
            if (data.Length > 2 * d.FrameBytes + (1 << 20))
                throw new DicomFormatException($"frame {frame + 1}: {data.Length} compressed bytes for a {d.FrameBytes}-byte frame", 0, DicomTags.PixelData);
            var bytes = ArrayPool<byte>.Shared.Rent((int)data.Length);
            try
            {
                data.CopyRange(0, bytes.AsSpan(0, (int)data.Length));
                decoder.Decode(bytes.AsSpan(0, (int)data.Length), d, destination);
            }
            catch (CodecDataException e)
            {
                throw new DicomFormatException($"frame {frame + 1} of {frames.Count} ({decoder.TransferSyntax.Name}): {e.Message}; byte {e.Offset} of the frame's codestream", e.Offset, DicomTags.PixelData, e);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }
    }
}
