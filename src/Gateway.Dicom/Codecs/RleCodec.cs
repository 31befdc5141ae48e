using System.Buffers;
using System.Buffers.Binary;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// RLE Lossless (PS3.5 Annex G). A frame is split into byte segments — for each sample, its most significant byte
/// first (G.2) — each compressed separately with the byte-oriented PackBits scheme of G.3.1, one row at a time so that
/// no run crosses a row boundary. A 64-byte header (G.5) gives the segment count (at most 15) and each segment's
/// offset from the start of the header; every segment has even length.
/// </summary>
public sealed class RleCodec : IPixelCodec
{
    public const int HeaderLength = 64;
    public const int MaxSegments = 15;

    public DicomTransferSyntax TransferSyntax => DicomTransferSyntax.RleLossless;

    public void CheckCanEncode(PixelDescription description, CodecOptions options)
    {
        if (SegmentCount(description) > MaxSegments)
            throw new NotSupportedException($"RLE holds at most {MaxSegments} segments; {description.SamplesPerPixel} samples of {description.BitsAllocated} bits need {SegmentCount(description)}");
    }

    private static int SegmentCount(PixelDescription d) => d.SamplesPerPixel * d.BytesPerSample;

    public byte[] Encode(ReadOnlySpan<byte> frame, PixelDescription description, CodecOptions options)
    {
        CheckCanEncode(description, options);
        var d = description;
        var segments = SegmentCount(d);
        var columns = d.Columns;
        // Worst case per row: one header byte per 128 literals.
        var worstRow = columns + (columns + 127) / 128;
        var worst = HeaderLength + segments * ((long)worstRow * d.Rows + 1);
        var output = ArrayPool<byte>.Shared.Rent(checked((int)worst));
        var row = ArrayPool<byte>.Shared.Rent(columns);
        try
        {
            output.AsSpan(0, HeaderLength).Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(output, (uint)segments);
            var at = HeaderLength;
            for (var s = 0; s < segments; s++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(4 + 4 * s), (uint)at);
                var (first, stride) = Layout(d, s);
                for (var y = 0; y < d.Rows; y++)
                {
                    Gather(frame, first + (long)y * columns * stride, stride, row.AsSpan(0, columns));
                    at += PackBits(row.AsSpan(0, columns), output.AsSpan(at));
                }
                if ((at & 1) == 1)
                    output[at++] = 0; // G.5: each segment padded to an even length
            }
            return output.AsSpan(0, at).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(row);
            ArrayPool<byte>.Shared.Return(output);
        }
    }

    public void Decode(ReadOnlySpan<byte> data, PixelDescription description, Span<byte> frame)
    {
        var d = description;
        if (data.Length < HeaderLength)
            throw new CodecDataException($"an RLE frame needs a {HeaderLength}-byte header, the fragment has {data.Length} bytes", data.Length);
        var segments = SegmentCount(d);
        var declared = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (declared != segments)
            throw new CodecDataException($"the RLE header declares {declared} segments; {d.SamplesPerPixel} samples of {d.BitsAllocated} bits need {segments}", 0);
        var plane = ArrayPool<byte>.Shared.Rent(d.Pixels);
        try
        {
            for (var s = 0; s < segments; s++)
            {
                var start = BinaryPrimitives.ReadUInt32LittleEndian(data[(4 + 4 * s)..]);
                var end = s + 1 < segments ? BinaryPrimitives.ReadUInt32LittleEndian(data[(8 + 4 * s)..]) : (uint)data.Length;
                if (start < HeaderLength || start > end || end > data.Length)
                    throw new CodecDataException($"RLE segment {s + 1} at offset {start} (next at {end}) lies outside the {data.Length}-byte fragment", 4 + 4 * s);
                UnpackBits(data[(int)start..(int)end], (int)start, plane.AsSpan(0, d.Pixels), s);
                var (first, stride) = Layout(d, s);
                Scatter(plane.AsSpan(0, d.Pixels), frame, first, stride);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plane);
        }
    }

    /// <summary>
    /// Where segment <paramref name="s"/>'s bytes are in a native frame: offset of the first, distance between
    /// consecutive ones (rows follow each other in either planar configuration). Segment order: sample by sample,
    /// most significant byte first.
    /// </summary>
    private static (long First, int Stride) Layout(PixelDescription d, int s)
    {
        var bps = d.BytesPerSample;
        var sample = s / bps;
        var byteInSample = bps - 1 - s % bps; // little endian: the most significant byte is the last
        if (d.SamplesPerPixel == 1 || d.PlanarConfiguration == 1)
        {
            var planeStart = (long)sample * d.Pixels * bps;
            return (planeStart + byteInSample, bps);
        }
        var pixelStride = d.SamplesPerPixel * bps;
        return (sample * bps + byteInSample, pixelStride);
    }

    private static void Gather(ReadOnlySpan<byte> frame, long first, int stride, Span<byte> row)
    {
        if (stride == 1)
        {
            frame.Slice((int)first, row.Length).CopyTo(row);
            return;
        }
        var src = frame[(int)first..];
        for (int i = 0, j = 0; i < row.Length; i++, j += stride)
            row[i] = src[j];
    }

    private static void Scatter(ReadOnlySpan<byte> plane, Span<byte> frame, long first, int stride)
    {
        if (stride == 1)
        {
            plane.CopyTo(frame[(int)first..]);
            return;
        }
        var dst = frame[(int)first..];
        for (int i = 0, j = 0; i < plane.Length; i++, j += stride)
            dst[j] = plane[i];
    }

    /// <summary>G.3.1: replicate runs of 2–128 bytes as (1 − n, byte), literal runs of 1–128 bytes as (n − 1, bytes…).</summary>
    internal static int PackBits(ReadOnlySpan<byte> row, Span<byte> output)
    {
        var o = 0;
        var i = 0;
        var n = row.Length;
        while (i < n)
        {
            var b = row[i];
            var run = 1;
            while (i + run < n && run < 128 && row[i + run] == b)
                run++;
            if (run >= 2)
            {
                output[o++] = (byte)(1 - run);
                output[o++] = b;
                i += run;
                continue;
            }
            // A literal run ends where a replicate run of three or more starts (two equal bytes cost as much either way).
            var start = i;
            i++;
            while (i < n && i - start < 128)
            {
                if (i + 2 < n && row[i] == row[i + 1] && row[i] == row[i + 2])
                    break;
                i++;
            }
            var length = i - start;
            output[o++] = (byte)(length - 1);
            row.Slice(start, length).CopyTo(output[o..]);
            o += length;
        }
        return o;
    }

    /// <summary>
    /// G.3.2: decodes until <paramref name="plane"/> is full; a header of −128 is a no-op. A last run that reaches past
    /// the plane is cut (some writers do that); a segment that ends early is an error.
    /// </summary>
    private static void UnpackBits(ReadOnlySpan<byte> segment, int segmentOffset, Span<byte> plane, int index)
    {
        var o = 0;
        var i = 0;
        while (o < plane.Length)
        {
            if (i >= segment.Length)
                throw new CodecDataException($"RLE segment {index + 1} ends after {o} of {plane.Length} bytes", segmentOffset + i);
            var h = (sbyte)segment[i++];
            if (h >= 0)
            {
                var count = h + 1;
                if (i + count > segment.Length)
                    throw new CodecDataException($"RLE segment {index + 1}: a literal run of {count} bytes is cut off", segmentOffset + i - 1);
                var take = Math.Min(count, plane.Length - o);
                segment.Slice(i, take).CopyTo(plane[o..]);
                i += count;
                o += take;
            }
            else if (h != -128)
            {
                var count = 1 - h;
                if (i >= segment.Length)
                    throw new CodecDataException($"RLE segment {index + 1}: a replicate run has no byte", segmentOffset + i - 1);
                var take = Math.Min(count, plane.Length - o);
                plane.Slice(o, take).Fill(segment[i++]);
                o += take;
            }
        }
    }
}
