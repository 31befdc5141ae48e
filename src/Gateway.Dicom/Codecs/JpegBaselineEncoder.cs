using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    private const int BytesPerBlockWorstCase = 420; // DC 22 bits and 63 AC of 26 at most, every byte stuffed

    public static byte[] Encode(ReadOnlySpan<byte> frame, PixelDescription d, int quality)
    {
        var colour = d.SamplesPerPixel == 3;
        var (y, cb, cr, planeWidth, planeHeight, chromaWidth, mcusX, mcusY) = Planes.For(d);
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

    /// <summary>The component planes of one frame, padded to whole MCUs (16×8 for colour, 8×8 for grey); Cb and Cr half as wide.</summary>
    internal sealed record Planes(byte[] Y, byte[] Cb, byte[] Cr, int PlaneWidth, int PlaneHeight, int ChromaWidth, int McusX, int McusY)
    {
        public static Planes For(PixelDescription d)
        {
            var colour = d.SamplesPerPixel == 3;
            var mcuWidth = colour ? 16 : 8;
            var mcusX = (d.Columns + mcuWidth - 1) / mcuWidth;
            var mcusY = (d.Rows + 7) / 8;
            var planeWidth = mcusX * mcuWidth;
            var planeHeight = mcusY * 8;
            var chromaWidth = mcusX * 8;
            return new Planes(new byte[planeWidth * planeHeight], colour ? new byte[chromaWidth * planeHeight] : [], colour ? new byte[chromaWidth * planeHeight] : [],
                planeWidth, planeHeight, chromaWidth, mcusX, mcusY);
        }
    }

    /// <summary>The component planes, padded to whole MCUs; colour converted and Cb, Cr averaged over pairs of columns.</summary>
    internal static void FillPlanes(ReadOnlySpan<byte> frame, PixelDescription d, byte[] y, byte[] cb, byte[] cr, int planeWidth, int planeHeight, int chromaWidth)
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
    /// Entropy-coded bytes (F.1.2.3, B.1.1.5) and where the bit buffer stands between blocks: codes gather right-aligned
    /// in a 64-bit accumulator (<see cref="Bits"/>, <see cref="Free"/> bits of it unused) that leaves 8 bytes at a
    /// time; a 0x00 is stuffed after every 0xFF, looked for in the eight bytes at once. Within a block the state lives
    /// in a <see cref="BitWriter"/> on the stack (registers), not in these fields.
    /// </summary>
    internal sealed class Sink(int capacity)
    {
        private byte[] _buffer = new byte[Math.Max(capacity, 64)];

        public ulong Bits;
        public int Free = 64;
        public int Position;

        public byte[] Buffer => _buffer;

        /// <summary>Room for <paramref name="bytes"/> more (and the 16 a last word can take with stuffing): the bit writer does not check.</summary>
        public void EnsureCapacity(int bytes)
        {
            if (Position + bytes + 16 <= _buffer.Length)
                return;
            Array.Resize(ref _buffer, (int)Math.Min(Array.MaxLength, Math.Max(_buffer.Length * 2L, Position + bytes + 16L)));
        }

        /// <summary>Pads the last byte with one bits, writes what is left, then <paramref name="bytes"/> as they are.</summary>
        public void Finish(ReadOnlySpan<byte> bytes)
        {
            var count = 64 - Free;
            var pad = (8 - count % 8) % 8;
            var bits = (Bits << pad) | ((1u << pad) - 1);
            count += pad;
            EnsureCapacity(2 * 8 + bytes.Length);
            while (count > 0)
            {
                count -= 8;
                var b = (byte)(bits >> count);
                _buffer[Position++] = b;
                if (b == 0xFF)
                    _buffer[Position++] = 0;
            }
            Free = 64;
            WriteBytes(bytes);
        }

        public void WriteBytes(ReadOnlySpan<byte> bytes)
        {
            EnsureCapacity(bytes.Length);
            bytes.CopyTo(_buffer.AsSpan(Position));
            Position += bytes.Length;
        }

        public byte[] ToArray() => _buffer.AsSpan(0, Position).ToArray();
    }

    /// <summary>
    /// The bit buffer of <see cref="Sink"/> while one block is coded, as locals the JIT keeps in registers. Writes
    /// without bounds checks: the encoder has made room for a worst-case MCU row (<see cref="Sink.EnsureCapacity"/>).
    /// </summary>
    private ref struct BitWriter
    {
        private readonly ref byte _out;
        private int _position;
        private ulong _bits;
        private int _free;

        public BitWriter(Sink sink)
        {
            _out = ref MemoryMarshal.GetArrayDataReference(sink.Buffer);
            _position = sink.Position;
            _bits = sink.Bits;
            _free = sink.Free;
        }

        public readonly void Save(Sink sink) => (sink.Position, sink.Bits, sink.Free) = (_position, _bits, _free);

        /// <summary>Appends the low <paramref name="size"/> (≤ 32) bits of <paramref name="code"/>, which has no bit above them.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Put(uint code, int size)
        {
            if (size < _free)
            {
                _bits = (_bits << size) | code;
                _free -= size;
                return;
            }
            // The accumulator fills: its 64 bits leave, the rest of the code starts the next word (its bits above the
            // rest are shifted out before that word leaves).
            size -= _free;
            var word = (_bits << _free) | (code >> size);
            _bits = code;
            _free = 64 - size;
            ref var at = ref Unsafe.Add(ref _out, _position);
            if (((~word - 0x0101010101010101UL) & word & 0x8080808080808080UL) == 0)
            {
                // No 0xFF among the eight bytes (the test finds a zero byte in the complement), so none to stuff.
                Unsafe.WriteUnaligned(ref at, BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(word) : word);
                _position += 8;
                return;
            }
            _position += Stuffed(ref at, word);
        }

        private static int Stuffed(ref byte at, ulong word)
        {
            var n = 0;
            for (var shift = 56; shift >= 0; shift -= 8)
            {
                var b = (byte)(word >> shift);
                Unsafe.Add(ref at, n++) = b;
                if (b == 0xFF)
                    Unsafe.Add(ref at, n++) = 0;
            }
            return n;
        }
    }

    /// <summary>DCT, quantization and Huffman coding of one 8×8 block (F.1.2.1 DC difference, F.1.2.2 AC runs).</summary>
    internal sealed class BlockCoder
    {
        private readonly Vector128<float>[] _reciprocal = new Vector128<float>[16]; // transposed layout (see JpegDct)
        private readonly byte[] _source = new byte[64];       // zig-zag position → transposed index
        private readonly int[] _quantized = new int[64];      // transposed layout
        private ulong _natural;                               // bit i: _quantized[i] is not 0

        /// <summary>The last <see cref="Transform"/>'s coefficients (transposed layout) and nonzero mask, for tests.</summary>
        internal ReadOnlySpan<int> Quantized => _quantized;

        internal ulong NonZero => _natural;
        private readonly uint[] _dc = new uint[16];   // code << 8 | length, by category
        private readonly uint[] _ac = new uint[256];  // code << 8 | length, by run/size symbol

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
                _dc[s] = (uint)dc.Codes[s] << 8 | dc.CodeSizes[s];
            for (var s = 0; s < 256; s++)
                _ac[s] = (uint)ac.Codes[s] << 8 | ac.CodeSizes[s];
        }

        public void Code(Sink sink, Span<Vector128<float>> block, byte[] plane, int stride, int first, ref int prediction)
        {
            var dc = Transform(block, plane, stride, first);
            Emit(sink, dc, ref prediction);
        }

        /// <summary>
        /// Forward DCT and quantization of one block into the coefficient buffer, and the nonzero ones as a mask in the
        /// block's (transposed) order; returns the quantized DC. The level shift (−128) changes only the DC, by exactly
        /// 64 × 128 (every intermediate of the DC is a sum of integers, exact in float; every other output is made of
        /// differences, which the shift leaves as they are), so it is applied to the DC alone.
        /// </summary>
        internal int Transform(Span<Vector128<float>> block, byte[] plane, int stride, int first, bool vector256 = true)
        {
            if ((uint)first > (uint)plane.Length || (uint)(plane.Length - first) < (uint)(7 * stride + 8))
                throw new ArgumentOutOfRangeException(nameof(first));
            ref var pixels = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(plane), first);
            ref var b = ref MemoryMarshal.GetReference(block);
            var wide = vector256 && Avx2.IsSupported && JpegDct.Fastest == JpegDct.Path.Vector256;
            if (wide)
            {
                ref var rows = ref Unsafe.As<Vector128<float>, Vector256<float>>(ref b);
                for (var r = 0; r < 8; r++)
                {
                    var raw = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref pixels, r * stride))).AsByte();
                    Unsafe.Add(ref rows, r) = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(raw));
                }
            }
            else
            {
                for (var r = 0; r < 8; r++)
                {
                    var raw = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref pixels, r * stride));
                    var shorts = Vector128.WidenLower(Vector128.CreateScalarUnsafe(raw).AsByte());
                    Unsafe.Add(ref b, 2 * r) = Vector128.ConvertToSingle(Vector128.WidenLower(shorts).AsInt32());
                    Unsafe.Add(ref b, 2 * r + 1) = Vector128.ConvertToSingle(Vector128.WidenUpper(shorts).AsInt32());
                }
            }
            JpegDct.Forward(block);

            // Quantize (rounding half away from zero: add ±0.5 by the sign, truncate), AC clamped to the 10 bits baseline codes.
            ulong natural = 0;
            if (wide)
            {
                ref var rows = ref Unsafe.As<Vector128<float>, Vector256<float>>(ref b);
                ref var reciprocal = ref Unsafe.As<Vector128<float>, Vector256<float>>(ref MemoryMarshal.GetArrayDataReference(_reciprocal));
                ref var quantized = ref Unsafe.As<int, Vector256<int>>(ref MemoryMarshal.GetArrayDataReference(_quantized));
                var half = Vector256.Create(0.5f);
                var sign = Vector256.Create(-0.0f);
                var limit = Vector256.Create(1023);
                for (var i = 0; i < 8; i += 2)
                {
                    var x0 = Unsafe.Add(ref rows, i) * Unsafe.Add(ref reciprocal, i);
                    var x1 = Unsafe.Add(ref rows, i + 1) * Unsafe.Add(ref reciprocal, i + 1);
                    var q0 = Vector256.Min(Vector256.Max(Avx.ConvertToVector256Int32WithTruncation(x0 + ((x0 & sign) | half)), -limit), limit);
                    var q1 = Vector256.Min(Vector256.Max(Avx.ConvertToVector256Int32WithTruncation(x1 + ((x1 & sign) | half)), -limit), limit);
                    Unsafe.Add(ref quantized, i) = q0;
                    Unsafe.Add(ref quantized, i + 1) = q1;
                    // Zero lanes of the 16 as a 16-bit mask. The packs work within each 128-bit half, so the bytes come as
                    // q0[0..3] q1[0..3] (twice), q0[4..7] q1[4..7] (twice); the permute puts four-byte groups 0, 4, 1, 5 in front.
                    var zeros = Avx2.PackSignedSaturate(Vector256.Equals(q0, Vector256<int>.Zero), Vector256.Equals(q1, Vector256<int>.Zero));
                    var bytes = Avx2.PermuteVar8x32(Avx2.PackSignedSaturate(zeros, zeros).AsInt32(), GroupOrder).AsByte();
                    natural |= (ulong)(~bytes.GetLower().ExtractMostSignificantBits() & 0xFFFF) << (8 * i);
                }
            }
            else
            {
                var half = Vector128.Create(0.5f);
                var sign = Vector128.Create(-0.0f);
                var limit = Vector128.Create(1023);
                ref var quantized = ref Unsafe.As<int, Vector128<int>>(ref MemoryMarshal.GetArrayDataReference(_quantized));
                for (var i = 0; i < 16; i += 4)
                {
                    var q0 = Quantize(Unsafe.Add(ref b, i) * _reciprocal[i], half, sign, limit);
                    var q1 = Quantize(Unsafe.Add(ref b, i + 1) * _reciprocal[i + 1], half, sign, limit);
                    var q2 = Quantize(Unsafe.Add(ref b, i + 2) * _reciprocal[i + 2], half, sign, limit);
                    var q3 = Quantize(Unsafe.Add(ref b, i + 3) * _reciprocal[i + 3], half, sign, limit);
                    Unsafe.Add(ref quantized, i) = q0;
                    Unsafe.Add(ref quantized, i + 1) = q1;
                    Unsafe.Add(ref quantized, i + 2) = q2;
                    Unsafe.Add(ref quantized, i + 3) = q3;
                    var z0 = Vector128.Narrow(Vector128.Equals(q0, Vector128<int>.Zero), Vector128.Equals(q1, Vector128<int>.Zero));
                    var z1 = Vector128.Narrow(Vector128.Equals(q2, Vector128<int>.Zero), Vector128.Equals(q3, Vector128<int>.Zero));
                    natural |= (ulong)(~Vector128.Narrow(z0, z1).ExtractMostSignificantBits() & 0xFFFF) << (4 * i);
                }
            }
            _natural = natural;
            var dcValue = (b.ToScalar() - 64 * 128) * _reciprocal[0].ToScalar();
            return Math.Clamp(dcValue >= 0 ? (int)(dcValue + 0.5f) : -(int)(0.5f - dcValue), -2047, 2047);
        }

        private static readonly Vector256<int> GroupOrder = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<int> Quantize(Vector128<float> x, Vector128<float> half, Vector128<float> sign, Vector128<int> limit) =>
            Vector128.Min(Vector128.Max(Vector128.ConvertToInt32Native(x + ((x & sign) | half)), -limit), limit);

        private void Emit(Sink sink, int dc, ref int prediction)
        {
            var writer = new BitWriter(sink);
            ref var dcTable = ref MemoryMarshal.GetArrayDataReference(_dc);
            ref var acTable = ref MemoryMarshal.GetArrayDataReference(_ac);
            var diff = dc - prediction;
            prediction = dc;
            var size = Category(diff);
            var entry = Unsafe.Add(ref dcTable, size);
            writer.Put(((entry >> 8) << size) | Bits(diff, size), (int)(entry & 0xFF) + size);

            // The nonzero coefficients as a bit mask in zig-zag order (F.1.2.2 walks it: runs of zeros, ZRL, EOB): from the
            // mask in the block's own (transposed) order that the quantization made, re-ordered a byte at a time by table.
            var natural = _natural;
            ref var reorder = ref MemoryMarshal.GetArrayDataReference(ZigZagBits);
            ulong mask = 0;
            for (var j = 0; j < 8; j++)
                mask |= Unsafe.Add(ref reorder, (j << 8) | (int)((natural >> (8 * j)) & 0xFF));
            mask &= ~1UL; // DC is coded above
            ref var q = ref MemoryMarshal.GetArrayDataReference(_quantized);
            ref var source = ref MemoryMarshal.GetArrayDataReference(_source);
            var zrl = Unsafe.Add(ref acTable, 0xF0);
            var last = 0;
            while (mask != 0)
            {
                var k = BitOperations.TrailingZeroCount(mask);
                mask &= mask - 1;
                var run = k - last - 1;
                while (run > 15)
                {
                    writer.Put(zrl >> 8, (int)(zrl & 0xFF));
                    run -= 16;
                }
                var v = Unsafe.Add(ref q, Unsafe.Add(ref source, k));
                var s = Category(v);
                entry = Unsafe.Add(ref acTable, (run << 4) | s);
                writer.Put(((entry >> 8) << s) | Bits(v, s), (int)(entry & 0xFF) + s);
                last = k;
            }
            if (last != 63)
            {
                var eob = Unsafe.Add(ref acTable, 0x00);
                writer.Put(eob >> 8, (int)(eob & 0xFF));
            }
            writer.Save(sink);
        }

        /// <summary>F.1.2.1 SSSS: the bits of |v| (0 for 0), without a branch.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int Category(int v) => 32 - BitOperations.LeadingZeroCount((uint)((v ^ (v >> 31)) - (v >> 31)));

        /// <summary>F.1.2.1: a negative value is written as its ones' complement in <paramref name="size"/> bits.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static uint Bits(int v, int size) => (uint)(v + (v >> 31)) & ((1u << size) - 1);
    }
}
