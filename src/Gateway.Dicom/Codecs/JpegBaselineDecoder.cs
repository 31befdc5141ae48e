using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// Reads a baseline (SOF0) or extended 8-bit Huffman (SOF1) sequential JPEG (T.81 Annex F): one to three components
/// with any sampling factors 1–4 that divide the largest, interleaved or one scan per component, restart intervals
/// (DRI/RSTn), JFIF and Adobe APP14 markers. Subsampled chroma is upsampled with the triangle filter libjpeg uses by
/// default (so that we agree with dcmtk and libjpeg-turbo), YCbCr converted to RGB. Every table, component and
/// size is checked before use; the planes are sized from the data set's Rows and Columns, which the frame header
/// must repeat, so corrupt input cannot make us allocate more.
/// </summary>
internal static class JpegBaselineDecoder
{
    private const byte SOI = 0xD8, EOI = 0xD9, SOF0 = 0xC0, SOF1 = 0xC1, DHT = 0xC4, DQT = 0xDB, SOS = 0xDA, DRI = 0xDD, APP0 = 0xE0, APP14 = 0xEE;

    internal sealed class Component
    {
        public int Id;
        public int H;
        public int V;
        public int Tq;
        public int Width;  // samples, T.81 A.1.1
        public int Height;
        public int Stride;
        public byte[] Plane = [];
        public int Prediction;
        public bool Decoded;
        public JpegHuffmanTable Dc = null!;
        public JpegHuffmanTable Ac = null!;
        public readonly float[] Dequantize = new float[64]; // transposed layout, AAN scale folded in
    }

    public static void Decode(ReadOnlySpan<byte> data, PixelDescription d, Span<byte> frame)
    {
        if (d.BitsAllocated != 8)
            throw new NotSupportedException($"JPEG baseline is 8-bit; Bits Allocated is {d.BitsAllocated}");
        if (data.Length < 4 || data[0] != 0xFF || data[1] != SOI)
            throw new CodecDataException("a JPEG codestream starts with SOI (FF D8)", 0);
        var at = 2;
        var quantization = new ushort[4][];
        var dc = new JpegHuffmanTable?[4];
        var ac = new JpegHuffmanTable?[4];
        Component[]? components = null;
        int hMax = 1, vMax = 1, restartInterval = 0;
        var jfif = false;
        var adobeTransform = -1;
        while (true)
        {
            if (components is not null && Array.TrueForAll(components, c => c.Decoded) && at >= data.Length - 1)
                break; // a last scan without EOI (some writers drop it at a fragment's end)
            var (marker, start) = JpegMarkers.Next(data, ref at);
            if (marker == EOI)
                break;
            if (marker is >= 0xD0 and <= 0xD7 or 0x01)
                continue;
            var segment = JpegMarkers.Segment(data, ref at, start);
            switch (marker)
            {
                case SOF0 or SOF1:
                    if (components is not null)
                        throw new CodecDataException("a second frame header", start);
                    components = ReadFrame(segment, start, d, out hMax, out vMax);
                    break;
                case DHT:
                    JpegMarkers.ReadHuffmanTables(segment, start, dc, ac);
                    break;
                case DQT:
                    ReadQuantization(segment, start, quantization);
                    break;
                case DRI:
                    if (segment.Length < 2)
                        throw new CodecDataException("the DRI segment is too short", start);
                    restartInterval = BinaryPrimitives.ReadUInt16BigEndian(segment);
                    break;
                case APP0:
                    jfif |= segment.Length >= 5 && segment[..5].SequenceEqual("JFIF\0"u8);
                    break;
                case APP14:
                    if (segment.Length >= 12 && segment[..5].SequenceEqual("Adobe"u8))
                        adobeTransform = segment[11];
                    break;
                case SOS:
                    if (components is null)
                        throw new CodecDataException("SOS before the frame header", start);
                    at = DecodeScan(data, at, segment, start, components, hMax, vMax, dc, ac, quantization, restartInterval);
                    break;
                case >= 0xE1 and <= 0xEF:
                case 0xFE:
                case 0xDC:
                    break; // other APPn, COM, DNL
                case 0xC2 or 0xC6 or 0xCA or 0xCE:
                    throw new NotSupportedException($"progressive JPEG (SOF{marker - 0xC0}) is not JPEG baseline");
                case >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC:
                    throw new NotSupportedException($"JPEG process SOF{marker - 0xC0} is not JPEG baseline (SOF0)");
                default:
                    throw new CodecDataException($"marker FF {marker:X2} does not belong in a baseline JPEG codestream", start);
            }
        }
        if (components is null || !Array.TrueForAll(components, c => c.Decoded))
            throw new CodecDataException("the codestream ends before every component was decoded", data.Length);

        if (components.Length == 1)
        {
            var c = components[0];
            for (var y = 0; y < d.Rows; y++)
                c.Plane.AsSpan(y * c.Stride, d.Columns).CopyTo(frame.Slice(y * d.Columns, d.Columns));
            return;
        }
        // Adobe's transform flag wins, then JFIF (always YCbCr), then the data set's Photometric Interpretation.
        var ycc = adobeTransform >= 0 ? adobeTransform != 0 : jfif || !d.Photometric.Equals("RGB", StringComparison.Ordinal);
        WriteColour(components, hMax, vMax, d, frame, ycc);
    }

    private static Component[] ReadFrame(ReadOnlySpan<byte> s, int start, PixelDescription d, out int hMax, out int vMax)
    {
        if (s.Length < 6)
            throw new CodecDataException("the frame header is too short", start);
        var precision = s[0];
        var rows = BinaryPrimitives.ReadUInt16BigEndian(s[1..]);
        var columns = BinaryPrimitives.ReadUInt16BigEndian(s[3..]);
        var count = s[5];
        if (precision != 8)
            throw new NotSupportedException($"a JPEG precision of {precision} bits is not JPEG baseline (8)");
        if (rows != d.Rows || columns != d.Columns || count != d.SamplesPerPixel)
            throw new CodecDataException($"the JPEG frame is {columns}×{rows} with {count} components; the data set says {d.Columns}×{d.Rows} with {d.SamplesPerPixel}", start);
        if (s.Length < 6 + 3 * count)
            throw new CodecDataException("the frame header is too short for its components", start);
        var components = new Component[count];
        hMax = 1;
        vMax = 1;
        for (var i = 0; i < count; i++)
        {
            var c = components[i] = new Component { Id = s[6 + 3 * i], H = s[7 + 3 * i] >> 4, V = s[7 + 3 * i] & 15, Tq = s[8 + 3 * i] };
            if (c.H is < 1 or > 4 || c.V is < 1 or > 4 || c.Tq > 3)
                throw new CodecDataException($"component {c.Id} has sampling factors {c.H}×{c.V} and table {c.Tq}", start);
            if (Array.FindIndex(components, 0, i, o => o.Id == c.Id) >= 0)
                throw new CodecDataException($"component identifier {c.Id} is used twice", start);
            hMax = Math.Max(hMax, c.H);
            vMax = Math.Max(vMax, c.V);
        }
        if (count == 1)
        {
            // One component: the MCU is one block whatever its sampling factors say (A.2.2).
            components[0].H = components[0].V = hMax = vMax = 1;
        }
        var mcusX = (columns + 8 * hMax - 1) / (8 * hMax);
        var mcusY = (rows + 8 * vMax - 1) / (8 * vMax);
        foreach (var c in components)
        {
            if (hMax % c.H != 0 || vMax % c.V != 0)
                throw new NotSupportedException($"sampling factors {c.H}×{c.V} against {hMax}×{vMax} are not whole ratios");
            c.Width = (columns * c.H + hMax - 1) / hMax;
            c.Height = (rows * c.V + vMax - 1) / vMax;
            c.Stride = mcusX * c.H * 8;
            c.Plane = new byte[c.Stride * mcusY * c.V * 8];
        }
        return components;
    }

    private static void ReadQuantization(ReadOnlySpan<byte> s, int start, ushort[][] tables)
    {
        var p = 0;
        while (p < s.Length)
        {
            var precision = s[p] >> 4;
            var id = s[p] & 15;
            var size = precision == 0 ? 64 : 128;
            if (precision > 1 || id > 3 || p + 1 + size > s.Length)
                throw new CodecDataException($"a DQT table (precision {precision}, destination {id}) is not valid or is cut off", start);
            var table = new ushort[64];
            for (var i = 0; i < 64; i++)
            {
                var q = precision == 0 ? s[p + 1 + i] : BinaryPrimitives.ReadUInt16BigEndian(s[(p + 1 + 2 * i)..]);
                table[JpegBaselineTables.ZigZag[i]] = q;
            }
            tables[id] = table;
            p += 1 + size;
        }
    }

    private static int DecodeScan(ReadOnlySpan<byte> data, int at, ReadOnlySpan<byte> s, int start, Component[] frame, int hMax, int vMax,
        JpegHuffmanTable?[] dc, JpegHuffmanTable?[] ac, ushort[][] quantization, int restartInterval)
    {
        if (s.Length < 1 || s[0] is < 1 or > 4 || s.Length < 4 + 2 * s[0])
            throw new CodecDataException("the scan header is not valid", start);
        var count = s[0];
        var scan = new Component[count];
        var blocks = 0;
        for (var i = 0; i < count; i++)
        {
            var id = s[1 + 2 * i];
            var c = Array.Find(frame, f => f.Id == id) ?? throw new CodecDataException($"the scan names component {id}, which the frame does not have", start);
            if (Array.IndexOf(scan, c) >= 0)
                throw new CodecDataException($"the scan names component {id} twice", start);
            c.Dc = dc[s[2 + 2 * i] >> 4 & 3] ?? throw new CodecDataException($"component {id} uses DC table {s[2 + 2 * i] >> 4}, which is not defined", start);
            c.Ac = ac[s[2 + 2 * i] & 3] ?? throw new CodecDataException($"component {id} uses AC table {s[2 + 2 * i] & 15}, which is not defined", start);
            var q = quantization[c.Tq] ?? throw new CodecDataException($"component {id} uses quantization table {c.Tq}, which is not defined", start);
            for (var v = 0; v < 8; v++)
            {
                for (var u = 0; u < 8; u++)
                    c.Dequantize[u * 8 + v] = q[v * 8 + u] * JpegDct.Scale[u] * JpegDct.Scale[v];
            }
            c.Prediction = 0;
            blocks += c.H * c.V;
            scan[i] = c;
        }
        var ss = s[1 + 2 * count];
        var se = s[2 + 2 * count];
        var ahAl = s[3 + 2 * count];
        if (ss != 0 || se != 63 || ahAl != 0)
            throw new CodecDataException($"a sequential scan has Ss {ss}, Se {se}, Ah/Al 0x{ahAl:X2} (0, 63, 0 expected)", start);
        if (count > 1 && blocks > 10)
            throw new CodecDataException($"an MCU of {blocks} blocks (B.2.3 allows 10)", start);

        int mcusX, mcusY;
        if (count == 1)
        {
            // A non-interleaved scan covers the component's own blocks (A.2.2), one per MCU.
            mcusX = (scan[0].Width + 7) / 8;
            mcusY = (scan[0].Height + 7) / 8;
        }
        else
        {
            mcusX = (frame[0].Stride / frame[0].H) / 8;
            mcusY = (int)((long)frame[0].Plane.Length / frame[0].Stride / (frame[0].V * 8));
        }
        Span<Vector128<float>> block = stackalloc Vector128<float>[16];
        var reader = new JpegBitReader(data, at);
        var total = mcusX * mcusY;
        var mcu = 0;
        for (var my = 0; my < mcusY; my++)
        {
            for (var mx = 0; mx < mcusX; mx++)
            {
                if (count == 1)
                {
                    var c = scan[0];
                    DecodeBlock(ref reader, c, block, my * 8 * c.Stride + mx * 8);
                }
                else
                {
                    foreach (var c in scan)
                    {
                        for (var by = 0; by < c.V; by++)
                        {
                            for (var bx = 0; bx < c.H; bx++)
                            {
                                DecodeBlock(ref reader, c, block, ((my * c.V + by) * 8) * c.Stride + (mx * c.H + bx) * 8);
                            }
                        }
                    }
                }
                mcu++;
                if (restartInterval > 0 && mcu % restartInterval == 0 && mcu < total)
                {
                    // F.2.2.5 / E.2.4: the interval ends byte-aligned before RSTn; predictions start again from 0.
                    var marker = JpegMarkers.FindMarker(data, reader.Position);
                    while (marker + 1 < data.Length && data[marker + 1] == 0xFF)
                        marker++;
                    if (marker + 1 >= data.Length || data[marker + 1] is < 0xD0 or > 0xD7)
                        throw new CodecDataException($"restart marker expected after MCU {mcu}", marker);
                    reader = new JpegBitReader(data, marker + 2);
                    foreach (var c in scan)
                        c.Prediction = 0;
                }
            }
        }
        foreach (var c in scan)
            c.Decoded = true;
        return JpegMarkers.FindMarker(data, reader.Position);
    }

    /// <summary>
    /// F.2.2.1 (DC difference) and F.2.2.2 (AC run/size), dequantized into the transposed block, then the inverse DCT
    /// into the plane at <paramref name="first"/>. Most AC coefficients come from one look-up of code and extra bits
    /// together (<see cref="JpegHuffmanTable.AcEntry"/>); a block with no AC coefficient is flat, its DC alone. The
    /// look-ahead stays in locals (registers) for the block and is topped up whenever fewer than 32 bits are left,
    /// which is enough for one code (≤ 16 bits) and its extra bits (≤ 15).
    /// </summary>
    private static void DecodeBlock(ref JpegBitReader reader, Component c, scoped Span<Vector128<float>> block, int first)
    {
        block.Clear();
        ref var f = ref Unsafe.As<Vector128<float>, float>(ref MemoryMarshal.GetReference(block));
        ref var q = ref MemoryMarshal.GetArrayDataReference(c.Dequantize);
        var bits = reader.Bits;
        var count = reader.Count;
        if (count < 32)
        {
            reader.Refill();
            (bits, count) = (reader.Bits, reader.Count);
        }
        var e = c.Dc.Symbol(bits, reader.Position);
        bits <<= e >> 8;
        count -= e >> 8;
        var t = e & 0xFF;
        if (t > 11)
            throw new CodecDataException($"a DC difference of category {t}", reader.Position);
        if (t > 0)
        {
            c.Prediction += Extend((int)(bits >> (64 - t)), t);
            bits <<= t;
            count -= t;
        }
        var dc = c.Prediction * q;
        ref var positions = ref MemoryMarshal.GetArrayDataReference(JpegBaselineTables.ZigZagTransposed);
        var ac = c.Ac;
        var any = false;
        for (var k = 1; k < 64; k++)
        {
            if (count < 32)
            {
                (reader.Bits, reader.Count) = (bits, count);
                reader.Refill();
                (bits, count) = (reader.Bits, reader.Count);
            }
            e = ac.AcEntry(bits);
            if (e != 0)
            {
                // Run, size and value at once.
                bits <<= e & 31;
                count -= e & 31;
                k += (e >> 8) & 15;
                if (k > 63)
                    throw new CodecDataException("an AC run goes past the 64th coefficient", reader.Position);
                var at = Unsafe.Add(ref positions, k);
                Unsafe.Add(ref f, at) = (e >> 16) * Unsafe.Add(ref q, at);
                any = true;
                continue;
            }
            var rs = ac.Symbol(bits, reader.Position);
            bits <<= rs >> 8;
            count -= rs >> 8;
            var run = (rs >> 4) & 15;
            var size = rs & 15;
            if (size == 0)
            {
                if (run != 15)
                    break; // EOB
                k += 15;   // ZRL: sixteen zeros
                continue;
            }
            k += run;
            if (k > 63)
                throw new CodecDataException("an AC run goes past the 64th coefficient", reader.Position);
            var p = Unsafe.Add(ref positions, k);
            Unsafe.Add(ref f, p) = Extend((int)(bits >> (64 - size)), size) * Unsafe.Add(ref q, p);
            bits <<= size;
            count -= size;
            any = true;
        }
        (reader.Bits, reader.Count) = (bits, count);
        if (any)
        {
            f = dc;
            JpegDct.Inverse(block);
            StoreBlock(block, c, first);
        }
        else
        {
            // The inverse DCT of a DC alone is that value in every sample, exactly (every other input is zero).
            StoreFlat(dc, c, first);
        }
    }

    /// <summary>F.2.2.1 EXTEND: the low half of each category's range is negative.</summary>
    private static int Extend(int v, int size) => v < 1 << (size - 1) ? v - (1 << size) + 1 : v;

    internal static void StoreBlock(Span<Vector128<float>> block, Component c, int first)
    {
        var plane = c.Plane.AsSpan();
        if (Avx2.IsSupported && JpegDct.Fastest == JpegDct.Path.Vector256)
        {
            // Eight rows of Vector256: clamped in float (the same bytes as converting first and clamping after), then
            // packed four rows at a time; the packs work within 128-bit halves, the permute puts each row's 8 bytes together.
            ref var rows = ref Unsafe.As<Vector128<float>, Vector256<float>>(ref MemoryMarshal.GetReference(block));
            var p01 = Avx2.PackSignedSaturate(Sample(Unsafe.Add(ref rows, 0)), Sample(Unsafe.Add(ref rows, 1)));
            var p23 = Avx2.PackSignedSaturate(Sample(Unsafe.Add(ref rows, 2)), Sample(Unsafe.Add(ref rows, 3)));
            var p45 = Avx2.PackSignedSaturate(Sample(Unsafe.Add(ref rows, 4)), Sample(Unsafe.Add(ref rows, 5)));
            var p67 = Avx2.PackSignedSaturate(Sample(Unsafe.Add(ref rows, 6)), Sample(Unsafe.Add(ref rows, 7)));
            var top = Avx2.PermuteVar8x32(Avx2.PackUnsignedSaturate(p01, p23).AsInt32(), RowOrder).AsUInt64();
            var bottom = Avx2.PermuteVar8x32(Avx2.PackUnsignedSaturate(p45, p67).AsInt32(), RowOrder).AsUInt64();
            for (var r = 0; r < 4; r++)
            {
                MemoryMarshal.Write(plane[(first + r * c.Stride)..], top.GetElement(r));
                MemoryMarshal.Write(plane[(first + (r + 4) * c.Stride)..], bottom.GetElement(r));
            }
            return;
        }
        for (var r = 0; r < 8; r++)
        {
            var bytes = ToSamples(block[2 * r], block[2 * r + 1]);
            MemoryMarshal.Write(plane[(first + r * c.Stride)..], bytes);
        }
    }

    private static readonly Vector256<int> RowOrder = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);

    /// <summary>One row of IDCT output (8× the level-shifted samples): ÷ 8, + 128, clamped to 0–255, truncated (so rounded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Sample(Vector256<float> row) =>
        Avx.ConvertToVector256Int32WithTruncation(Vector256.Min(Vector256.Max(row * Vector256.Create(0.125f) + Vector256.Create(128.5f), Vector256<float>.Zero), Vector256.Create(255f)));

    private static void StoreFlat(float dc, Component c, int first)
    {
        var value = Vector128.Create(dc);
        var bytes = ToSamples(value, value);
        var plane = c.Plane.AsSpan();
        for (var r = 0; r < 8; r++)
            MemoryMarshal.Write(plane[(first + r * c.Stride)..], bytes);
    }

    /// <summary>Eight IDCT outputs (8× the level-shifted samples) to bytes: ÷ 8, + 128, rounded, clamped to 0–255.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ToSamples(Vector128<float> left, Vector128<float> right)
    {
        var scale = Vector128.Create(0.125f);
        var bias = Vector128.Create(128.5f);
        var low = Vector128<int>.Zero;
        var high = Vector128.Create(255);
        var a = Vector128.Min(Vector128.Max(Vector128.ConvertToInt32(left * scale + bias), low), high);
        var b = Vector128.Min(Vector128.Max(Vector128.ConvertToInt32(right * scale + bias), low), high);
        var shorts = Vector128.Narrow(a, b);
        return Vector128.Narrow(shorts, shorts).AsUInt64().ToScalar();
    }

    /// <summary>The triangle filter 2:1 of <see cref="Upsample"/>, eight samples to sixteen a step, for samples 1 … n − 9; returns where the scalar loop goes on.</summary>
    internal static int UpsampleRow2(ReadOnlySpan<byte> row, Span<byte> output)
    {
        var n = row.Length;
        if (n < 10 || output.Length < 2 * n)
            return 0;
        ref var source = ref MemoryMarshal.GetReference(row);
        ref var target = ref MemoryMarshal.GetReference(output);
        var one = Vector128.Create((ushort)1);
        var two = Vector128.Create((ushort)2);
        var i = 1;
        for (; i + 9 <= n; i += 8)
        {
            var previous = Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, i - 1))).AsByte());
            var current = Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, i))).AsByte());
            var next = Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, i + 1))).AsByte());
            var three = current * 3;
            var even = Vector128.ShiftRightLogical(three + previous + one, 2);
            var odd = Vector128.ShiftRightLogical(three + next + two, 2);
            var pairs = Vector128.Shuffle(Vector128.Narrow(even, odd), Vector128.Create((byte)0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15));
            pairs.StoreUnsafe(ref target, (nuint)(2 * i));
        }
        // Sample 0 (its left neighbour is itself) in the scalar way.
        output[0] = (byte)((4 * row[0] + 1) >> 2);
        output[1] = (byte)((3 * row[0] + row[1] + 2) >> 2);
        return i;
    }

    internal static void WriteColour(Component[] components, int hMax, int vMax, PixelDescription d, Span<byte> frame, bool ycc)
    {
        var width = d.Columns;
        var rows = new byte[3][];
        for (var i = 0; i < 3; i++)
            rows[i] = new byte[width + 16];
        var sums = new int[width + 16];
        var planar = d.PlanarConfiguration == 1;
        var pixels = width * d.Rows;
        for (var y = 0; y < d.Rows; y++)
        {
            for (var i = 0; i < 3; i++)
                Upsample(components[i], hMax / components[i].H, vMax / components[i].V, y, width, rows[i], sums);
            Span<byte> r, g, b;
            int stride;
            if (planar)
            {
                r = frame.Slice(y * width, width);
                g = frame.Slice(pixels + y * width, width);
                b = frame.Slice(2 * pixels + y * width, width);
                stride = 1;
            }
            else
            {
                var line = frame.Slice(3 * y * width, 3 * width);
                r = line;
                g = line[1..];
                b = line[2..];
                stride = 3;
            }
            if (ycc)
            {
                JpegColour.ToRgb(rows[0], rows[1], rows[2], r, g, b, width, stride);
            }
            else
            {
                for (int x = 0, o = 0; x < width; x++, o += stride)
                    (r[o], g[o], b[o]) = (rows[0][x], rows[1][x], rows[2][x]);
            }
        }
    }

    /// <summary>
    /// Image row <paramref name="y"/> of a component at full resolution. 2:1 horizontally, and 2:1 both ways, use the
    /// triangle filter (¾ of the nearer sample, ¼ of the farther, edges repeated); other ratios repeat samples.
    /// </summary>
    private static void Upsample(Component c, int hx, int vy, int y, int width, byte[] output, int[] sums)
    {
        var plane = c.Plane;
        var n = c.Width;
        if (hx == 1 && vy == 1)
        {
            plane.AsSpan(y * c.Stride, width).CopyTo(output);
        }
        else if (hx == 2 && vy == 1)
        {
            var row = plane.AsSpan(y * c.Stride, n);
            var i = Vector128.IsHardwareAccelerated ? UpsampleRow2(row, output) : 0;
            for (; i < n; i++)
            {
                var three = 3 * row[i];
                output[2 * i] = (byte)((three + row[i > 0 ? i - 1 : 0] + 1) >> 2);
                output[2 * i + 1] = (byte)((three + row[i + 1 < n ? i + 1 : n - 1] + 2) >> 2);
            }
        }
        else if (hx == 2 && vy == 2)
        {
            var near = y >> 1;
            var far = Math.Clamp((y & 1) == 0 ? near - 1 : near + 1, 0, c.Height - 1);
            var a = plane.AsSpan(near * c.Stride, n);
            var b = plane.AsSpan(far * c.Stride, n);
            for (var i = 0; i < n; i++)
                sums[i] = 3 * a[i] + b[i];
            for (var i = 0; i < n; i++)
            {
                var three = 3 * sums[i];
                output[2 * i] = (byte)((three + sums[i > 0 ? i - 1 : 0] + 8) >> 4);
                output[2 * i + 1] = (byte)((three + sums[i + 1 < n ? i + 1 : n - 1] + 7) >> 4);
            }
        }
        else
        {
            var row = plane.AsSpan((y / vy) * c.Stride, c.Stride);
            for (var x = 0; x < width; x++)
                output[x] = row[x / hx];
        }
    }
}
