using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// Writes one frame as a baseline sequential JPEG (T.81 Process 1): SOI, APP0 JFIF, DQT (Annex K.1 tables scaled by
/// the quality), SOF0, DHT (the Annex K.3 tables), one interleaved scan, EOI. Grey is one component; colour is
/// converted to YCbCr (unless it already is YBR_FULL) and Cb and Cr are subsampled 2:1 horizontally (H = 2, V = 1
/// for Y, 1/1 for Cb and Cr), which is YBR_FULL_422 (PS3.5 §8.2.1). Edges are padded by repeating the last column
/// and row, so partial MCUs do not ring.
/// </summary>
internal static class JpegBaselineEncoder
{
    private const int BytesPerBlockWorstCase = 420; // 64 coefficients of 27 bits each, every byte stuffed

    public static byte[] Encode(ReadOnlySpan<byte> frame, PixelDescription d, int quality)
    {
        var colour = d.SamplesPerPixel == 3;
        var width = d.Columns;
        var height = d.Rows;
        var mcuWidth = colour ? 16 : 8;
        var mcusX = (width + mcuWidth - 1) / mcuWidth;
        var mcusY = (height + 7) / 8;
        var planeWidth = mcusX * mcuWidth;
        var planeHeight = mcusY * 8;
        var chromaWidth = mcusX * 8;
        var y = new byte[planeWidth * planeHeight];
        var cb = colour ? new byte[chromaWidth * planeHeight] : [];
        var cr = colour ? new byte[chromaWidth * planeHeight] : [];
        FillPlanes(frame, d, y, cb, cr, planeWidth, planeHeight, chromaWidth);

        var luminance = JpegBaselineTables.Scaled(JpegBaselineTables.Luminance, quality);
        var chrominance = JpegBaselineTables.Scaled(JpegBaselineTables.Chrominance, quality);
        var writer = new Sink((int)Math.Min(Array.MaxLength, d.FrameBytes / 4 + 4096));
        WriteHeaders(writer, d, luminance, chrominance);

        var lumaCoder = new BlockCoder(luminance, JpegBaselineTables.DcLuminance, JpegBaselineTables.AcLuminance);
        var chromaCoder = colour ? new BlockCoder(chrominance, JpegBaselineTables.DcChrominance, JpegBaselineTables.AcChrominance) : null;
        Span<Vector128<float>> block = stackalloc Vector128<float>[16];
        int predY = 0, predCb = 0, predCr = 0;
        for (var my = 0; my < mcusY; my++)
        {
            writer.EnsureCapacity(mcusX * (colour ? 4 : 1) * BytesPerBlockWorstCase);
            var top = my * 8;
            for (var mx = 0; mx < mcusX; mx++)
            {
                if (colour)
                {
                    lumaCoder.Code(writer, block, y, planeWidth, top * planeWidth + mx * 16, ref predY);
                    lumaCoder.Code(writer, block, y, planeWidth, top * planeWidth + mx * 16 + 8, ref predY);
                    chromaCoder!.Code(writer, block, cb, chromaWidth, top * chromaWidth + mx * 8, ref predCb);
                    chromaCoder.Code(writer, block, cr, chromaWidth, top * chromaWidth + mx * 8, ref predCr);
                }
                else
                {
                    lumaCoder.Code(writer, block, y, planeWidth, top * planeWidth + mx * 8, ref predY);
                }
            }
        }
        writer.Finish([0xFF, 0xD9]);
        return writer.ToArray();
    }

    /// <summary>The component planes, padded to whole MCUs; colour converted and Cb, Cr averaged over pairs of columns.</summary>
    private static void FillPlanes(ReadOnlySpan<byte> frame, PixelDescription d, byte[] y, byte[] cb, byte[] cr, int planeWidth, int planeHeight, int chromaWidth)
    {
        var width = d.Columns;
        var height = d.Rows;
        var mask = (byte)((1 << Math.Min(d.BitsStored, 8)) - 1);
        if (d.SamplesPerPixel == 1)
        {
            for (var row = 0; row < height; row++)
            {
                var line = y.AsSpan(row * planeWidth, planeWidth);
                var source = frame.Slice(row * width, width);
                if (mask == 0xFF)
                    source.CopyTo(line);
                else
                    for (var x = 0; x < width; x++)
                        line[x] = (byte)(source[x] & mask);
                line[width..].Fill(line[width - 1]);
            }
        }
        else
        {
            var convert = d.Photometric != "YBR_FULL";
            var planar = d.PlanarConfiguration == 1;
            var pixels = width * height;
            var cbLine = new byte[planeWidth];
            var crLine = new byte[planeWidth];
            byte[] masked = mask == 0xFF ? [] : new byte[3 * width];
            for (var row = 0; row < height; row++)
            {
                var line = y.AsSpan(row * planeWidth, planeWidth);
                if (!planar && convert)
                {
                    // The common case (RGB, colour-by-pixel): converted and subsampled in one pass over the line.
                    var src = frame.Slice(3 * row * width, 3 * width);
                    if (mask != 0xFF)
                    {
                        for (var i = 0; i < src.Length; i++)
                            masked[i] = (byte)(src[i] & mask);
                        src = masked;
                    }
                    JpegColour.ToYCbCr422(src, line, cb.AsSpan(row * chromaWidth, chromaWidth), cr.AsSpan(row * chromaWidth, chromaWidth), width, chromaWidth);
                    line[width..].Fill(line[width - 1]);
                    continue;
                }
                for (var x = 0; x < width; x++)
                {
                    int r, g, b;
                    if (planar)
                    {
                        var at = row * width + x;
                        (r, g, b) = (frame[at] & mask, frame[pixels + at] & mask, frame[2 * pixels + at] & mask);
                    }
                    else
                    {
                        var at = 3 * (row * width + x);
                        (r, g, b) = (frame[at] & mask, frame[at + 1] & mask, frame[2 + at] & mask);
                    }
                    if (convert)
                        JpegColour.ToYCbCr(r, g, b, out line[x], out cbLine[x], out crLine[x]);
                    else
                        (line[x], cbLine[x], crLine[x]) = ((byte)r, (byte)g, (byte)b);
                }
                line[width..].Fill(line[width - 1]);
                cbLine.AsSpan(width).Fill(cbLine[width - 1]);
                crLine.AsSpan(width).Fill(crLine[width - 1]);
                var cbOut = cb.AsSpan(row * chromaWidth, chromaWidth);
                var crOut = cr.AsSpan(row * chromaWidth, chromaWidth);
                for (var x = 0; x < chromaWidth; x++)
                {
                    // Alternate the rounding so that halving does not drift every sample the same way.
                    var bias = x & 1;
                    cbOut[x] = (byte)((cbLine[2 * x] + cbLine[2 * x + 1] + bias) >> 1);
                    crOut[x] = (byte)((crLine[2 * x] + crLine[2 * x + 1] + bias) >> 1);
                }
            }
        }
        // Rows below the image repeat the last one.
        for (var row = height; row < planeHeight; row++)
        {
            y.AsSpan((height - 1) * planeWidth, planeWidth).CopyTo(y.AsSpan(row * planeWidth));
            if (d.SamplesPerPixel == 3)
            {
                cb.AsSpan((height - 1) * chromaWidth, chromaWidth).CopyTo(cb.AsSpan(row * chromaWidth));
                cr.AsSpan((height - 1) * chromaWidth, chromaWidth).CopyTo(cr.AsSpan(row * chromaWidth));
            }
        }
    }

    private static void WriteHeaders(Sink writer, PixelDescription d, byte[] luminance, byte[] chrominance)
    {
        var colour = d.SamplesPerPixel == 3;
        var h = new List<byte> { 0xFF, 0xD8 };
        // APP0 JFIF 1.01, no units, aspect 1:1, no thumbnail (JFIF §"JFIF APP0 marker"); it also says "YCbCr".
        h.AddRange([0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
        // DQT (B.2.4.1): 8-bit tables in zig-zag order.
        var tables = colour ? 2 : 1;
        h.AddRange([0xFF, 0xDB, 0x00, (byte)(2 + 65 * tables)]);
        for (var t = 0; t < tables; t++)
        {
            h.Add((byte)t);
            var q = t == 0 ? luminance : chrominance;
            for (var i = 0; i < 64; i++)
                h.Add(q[JpegBaselineTables.ZigZag[i]]);
        }
        // SOF0 (B.2.2): precision 8, Y, X, components with sampling factors and table.
        var components = d.SamplesPerPixel;
        h.AddRange([0xFF, 0xC0, 0x00, (byte)(8 + 3 * components), 8, (byte)(d.Rows >> 8), (byte)d.Rows, (byte)(d.Columns >> 8), (byte)d.Columns, (byte)components]);
        if (colour)
            h.AddRange([1, 0x21, 0, 2, 0x11, 1, 3, 0x11, 1]);
        else
            h.AddRange([1, 0x11, 0]);
        // DHT (B.2.4.2): DC 0 and AC 0 (luminance); DC 1 and AC 1 (chrominance).
        AddHuffman(h, 0x00, JpegBaselineTables.DcLuminance);
        AddHuffman(h, 0x10, JpegBaselineTables.AcLuminance);
        if (colour)
        {
            AddHuffman(h, 0x01, JpegBaselineTables.DcChrominance);
            AddHuffman(h, 0x11, JpegBaselineTables.AcChrominance);
        }
        // SOS (B.2.3): all components, Ss 0, Se 63, Ah Al 0.
        h.AddRange([0xFF, 0xDA, 0x00, (byte)(6 + 2 * components), (byte)components]);
        if (colour)
            h.AddRange([1, 0x00, 2, 0x11, 3, 0x11]);
        else
            h.AddRange([1, 0x00]);
        h.AddRange([0, 63, 0]);
        writer.WriteBytes(CollectionsMarshal.AsSpan(h));
    }

    private static void AddHuffman(List<byte> h, byte classAndId, JpegHuffmanTable table)
    {
        var length = 2 + 1 + 16 + table.Values.Length;
        h.AddRange([0xFF, 0xC4, (byte)(length >> 8), (byte)length, classAndId]);
        h.AddRange(table.Bits.AsSpan(1, 16));
        h.AddRange(table.Values);
    }

    /// <summary>
    /// Entropy-coded bytes (F.1.2.3, B.1.1.5): codes gather right-aligned in a 64-bit accumulator and leave 32 bits at
    /// a time; a 0x00 is stuffed after every 0xFF, looked for in the four bytes at once.
    /// </summary>
    private sealed class Sink(int capacity)
    {
        private byte[] _buffer = new byte[Math.Max(capacity, 64)];
        private ulong _bits;
        private int _count;
        private int _position;

        public void EnsureCapacity(int bytes)
        {
            if (_position + bytes + 16 <= _buffer.Length)
                return;
            Array.Resize(ref _buffer, (int)Math.Min(Array.MaxLength, Math.Max(_buffer.Length * 2L, _position + bytes + 16L)));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(uint value, int count)
        {
            _bits = (_bits << count) | value;
            _count += count;
            if (_count >= 32)
                Emit();
        }

        private void Emit()
        {
            _count -= 32;
            var word = (uint)(_bits >> _count);
            if (((~word - 0x01010101u) & word & 0x80808080u) == 0)
            {
                BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_position, 4), word);
                _position += 4;
                return;
            }
            for (var shift = 24; shift >= 0; shift -= 8)
            {
                var b = (byte)(word >> shift);
                _buffer[_position++] = b;
                if (b == 0xFF)
                    _buffer[_position++] = 0;
            }
        }

        /// <summary>Pads the last byte with one bits, writes what is left, then <paramref name="bytes"/> as they are.</summary>
        public void Finish(ReadOnlySpan<byte> bytes)
        {
            var pad = (8 - _count % 8) % 8;
            _bits = (_bits << pad) | ((1u << pad) - 1);
            _count += pad;
            while (_count > 0)
            {
                _count -= 8;
                var b = (byte)(_bits >> _count);
                _buffer[_position++] = b;
                if (b == 0xFF)
                    _buffer[_position++] = 0;
            }
            EnsureCapacity(bytes.Length);
            bytes.CopyTo(_buffer.AsSpan(_position));
            _position += bytes.Length;
        }

        public void WriteBytes(ReadOnlySpan<byte> bytes)
        {
            EnsureCapacity(bytes.Length);
            bytes.CopyTo(_buffer.AsSpan(_position));
            _position += bytes.Length;
        }

        public byte[] ToArray() => _buffer.AsSpan(0, _position).ToArray();
    }

    /// <summary>DCT, quantization and Huffman coding of one 8×8 block (F.1.2.1 DC difference, F.1.2.2 AC runs).</summary>
    private sealed class BlockCoder
    {
        private readonly Vector128<float>[] _reciprocal = new Vector128<float>[16]; // transposed layout (see JpegDct)
        private readonly byte[] _source = new byte[64];       // zig-zag position → transposed index
        private readonly int[] _quantized = new int[64];      // transposed layout
        private readonly uint[] _dcCode = new uint[16];
        private readonly int[] _dcSize = new int[16];
        private readonly uint[] _acCode = new uint[256];
        private readonly int[] _acSize = new int[256];

        /// <summary>[j · 256 + b]: the zig-zag bits of the coefficients whose transposed indices are 8j + (the set bits of b).</summary>
        private static readonly ulong[] ZigZagBits = BuildZigZagBits();

        private static ulong[] BuildZigZagBits()
        {
            var position = new int[64];
            for (var k = 0; k < 64; k++)
                position[JpegBaselineTables.ZigZagTransposed[k]] = k;
            var table = new ulong[8 * 256];
            for (var j = 0; j < 8; j++)
                for (var b = 0; b < 256; b++)
                    for (var i = 0; i < 8; i++)
                        if ((b >> i & 1) != 0)
                            table[j * 256 + b] |= 1UL << position[8 * j + i];
            return table;
        }

        public BlockCoder(byte[] quantization, JpegHuffmanTable dc, JpegHuffmanTable ac)
        {
            var reciprocal = MemoryMarshal.Cast<Vector128<float>, float>(_reciprocal.AsSpan());
            for (var v = 0; v < 8; v++)
            {
                for (var u = 0; u < 8; u++)
                    reciprocal[u * 8 + v] = 1f / (quantization[v * 8 + u] * JpegDct.Scale[u] * JpegDct.Scale[v] * 8f);
            }
            JpegBaselineTables.ZigZagTransposed.CopyTo(_source, 0);
            for (var s = 0; s < 16; s++)
                (_dcCode[s], _dcSize[s]) = (dc.Codes[s], dc.CodeSizes[s]);
            for (var s = 0; s < 256; s++)
                (_acCode[s], _acSize[s]) = (ac.Codes[s], ac.CodeSizes[s]);
        }

        public void Code(Sink sink, Span<Vector128<float>> block, byte[] plane, int stride, int first, ref int prediction)
        {
            var shift = Vector128.Create(128f);
            for (var r = 0; r < 8; r++)
            {
                var raw = MemoryMarshal.Read<ulong>(plane.AsSpan(first + r * stride, 8));
                var shorts = Vector128.WidenLower(Vector128.CreateScalarUnsafe(raw).AsByte());
                block[2 * r] = Vector128.ConvertToSingle(Vector128.WidenLower(shorts).AsInt32()) - shift;
                block[2 * r + 1] = Vector128.ConvertToSingle(Vector128.WidenUpper(shorts).AsInt32()) - shift;
            }
            JpegDct.Forward(block);

            // Quantize (rounding half away from zero), AC clamped to the 10 bits baseline codes.
            var half = Vector128.Create(0.5f);
            var limit = Vector128.Create(1023);
            var quantized = MemoryMarshal.Cast<int, Vector128<int>>(_quantized.AsSpan());
            for (var i = 0; i < 16; i++)
            {
                var x = block[i] * _reciprocal[i];
                var rounded = Vector128.ConvertToInt32(x + Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), -half, half));
                quantized[i] = Vector128.Min(Vector128.Max(rounded, -limit), limit);
            }
            var dcValue = block[0].ToScalar() * _reciprocal[0].ToScalar();
            var dc = Math.Clamp(dcValue >= 0 ? (int)(dcValue + 0.5f) : -(int)(0.5f - dcValue), -2047, 2047);
            var diff = dc - prediction;
            prediction = dc;
            var size = Category(diff);
            sink.Write((_dcCode[size] << size) | Bits(diff, size), _dcSize[size] + size);

            // The nonzero coefficients as a bit mask in zig-zag order (F.1.2.2 walks it: runs of zeros, ZRL, EOB): first in
            // the block's own (transposed) order from the vectors, 16 at a time, then re-ordered a byte at a time by table.
            ulong natural = 0;
            for (var i = 0; i < 16; i += 4)
            {
                var a = Vector128.Narrow(Vector128.Equals(quantized[i], Vector128<int>.Zero), Vector128.Equals(quantized[i + 1], Vector128<int>.Zero));
                var b = Vector128.Narrow(Vector128.Equals(quantized[i + 2], Vector128<int>.Zero), Vector128.Equals(quantized[i + 3], Vector128<int>.Zero));
                natural |= (ulong)(~Vector128.Narrow(a, b)).ExtractMostSignificantBits() << (4 * i);
            }
            ref var reorder = ref MemoryMarshal.GetArrayDataReference(ZigZagBits);
            ulong mask = 0;
            for (var j = 0; j < 8; j++)
                mask |= Unsafe.Add(ref reorder, (j << 8) | (int)((natural >> (8 * j)) & 0xFF));
            mask &= ~1UL; // DC is coded above
            ref var q = ref MemoryMarshal.GetArrayDataReference(_quantized);
            ref var source = ref MemoryMarshal.GetArrayDataReference(_source);
            var last = 0;
            while (mask != 0)
            {
                var k = BitOperations.TrailingZeroCount(mask);
                mask &= mask - 1;
                var run = k - last - 1;
                while (run > 15)
                {
                    sink.Write(_acCode[0xF0], _acSize[0xF0]); // ZRL
                    run -= 16;
                }
                var v = Unsafe.Add(ref q, Unsafe.Add(ref source, k));
                var s = Category(v);
                var symbol = (run << 4) | s;
                sink.Write((_acCode[symbol] << s) | Bits(v, s), _acSize[symbol] + s);
                last = k;
            }
            if (last != 63)
                sink.Write(_acCode[0x00], _acSize[0x00]); // EOB
        }

        private static int Category(int v) => v == 0 ? 0 : 32 - BitOperations.LeadingZeroCount((uint)Math.Abs(v));

        /// <summary>F.1.2.1: a negative value is written as its ones' complement in <paramref name="size"/> bits.</summary>
        private static uint Bits(int v, int size) => (uint)(v < 0 ? v - 1 : v) & ((1u << size) - 1);
    }
}
