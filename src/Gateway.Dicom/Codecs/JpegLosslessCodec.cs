using System.Buffers.Binary;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// JPEG Lossless, Non-Hierarchical, First-Order Prediction (ITU-T T.81 Annex H, Process 14, selection value 1;
/// 1.2.840.10008.1.2.4.70), 2–16 bits, one or three components. We write SOI, SOF3, one DHT with a Huffman table
/// optimised for the frame (Annex K.2), one scan (components interleaved sample by sample), EOI. We read every
/// predictor 1–7 (so Process 14 files with other selection values, 1.2.840.10008.1.2.4.57, decode too), point
/// transforms, several scans and per-component tables; not restart intervals, arithmetic coding or hierarchy.
/// </summary>
public sealed class JpegLosslessCodec(DicomTransferSyntax? transferSyntax = null) : IPixelCodec
{
    private const byte SOI = 0xD8, EOI = 0xD9, SOF3 = 0xC3, DHT = 0xC4, SOS = 0xDA, DRI = 0xDD;

    public DicomTransferSyntax TransferSyntax { get; } = transferSyntax ?? DicomTransferSyntax.JpegLosslessSV1;

    public void CheckCanEncode(PixelDescription description, CodecOptions options)
    {
        if (description.BitsAllocated > 16 || description.BitsStored < 2)
            throw new NotSupportedException($"JPEG lossless codes 2–16 bits; this image has {description.BitsStored} stored of {description.BitsAllocated} allocated");
    }

    /// <summary>H.1.2.2: the difference category (SSSS) of a difference taken modulo 2^16, −32767…32768.</summary>
    private static int Category(int diff) => diff == 0 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)Math.Abs(diff));

    private static int Difference(int x, int px)
    {
        var diff = (x - px) & 0xFFFF;
        return diff > 32768 ? diff - 65536 : diff;
    }

    public byte[] Encode(ReadOnlySpan<byte> frame, PixelDescription description, CodecOptions options)
    {
        var d = description;
        CheckCanEncode(d, options);
        var components = d.SamplesPerPixel;
        var w = d.Columns;
        var mask = (1 << d.BitsStored) - 1;
        var initial = 1 << (d.BitsStored - 1);
        var lines = new LineBuffers(components, w);

        // Pass 1: the frequency of each difference category, for the optimised table.
        Span<long> counts = stackalloc long[256];
        for (var y = 0; y < d.Rows; y++)
        {
            for (var c = 0; c < components; c++)
            {
                var cur = lines.Current(c);
                var prev = lines.Previous(c);
                SampleLayout.Load(frame, d, c, y, cur, mask);
                counts[Category(Difference(cur[1], y == 0 ? initial : prev[1]))]++;
                for (var x = 2; x <= w; x++)
                    counts[Category(Difference(cur[x], cur[x - 1]))]++;
                lines.Swap(c);
            }
        }
        var table = JpegHuffmanTable.FromCounts(counts);

        var writer = new JpegBitWriter((int)Math.Min(Array.MaxLength, d.FrameBytes / 2 + 1024));
        Span<byte> h = stackalloc byte[64];
        h[0] = 0xFF;
        h[1] = SOI;
        writer.WriteBytes(h[..2]);
        // SOF3 (B.2.2): Lf, P, Y, X, Nf, per component C, H/V 1/1, Tq 0.
        var lf = 8 + 3 * components;
        h[0] = 0xFF;
        h[1] = SOF3;
        BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)lf);
        h[4] = (byte)d.BitsStored;
        BinaryPrimitives.WriteUInt16BigEndian(h[5..], (ushort)d.Rows);
        BinaryPrimitives.WriteUInt16BigEndian(h[7..], (ushort)w);
        h[9] = (byte)components;
        for (var c = 0; c < components; c++)
        {
            h[10 + 3 * c] = (byte)(c + 1);
            h[11 + 3 * c] = 0x11;
            h[12 + 3 * c] = 0;
        }
        writer.WriteBytes(h[..(2 + lf)]);
        // DHT (B.2.4.2): one DC-class table, Th 0.
        var dht = new byte[2 + 2 + 1 + 16 + table.Values.Length];
        dht[0] = 0xFF;
        dht[1] = DHT;
        BinaryPrimitives.WriteUInt16BigEndian(dht.AsSpan(2), (ushort)(dht.Length - 2));
        dht[4] = 0x00;
        table.Bits.AsSpan(1, 16).CopyTo(dht.AsSpan(5));
        table.Values.CopyTo(dht.AsSpan(21));
        writer.WriteBytes(dht);
        // SOS (B.2.3): Ns, per component Cs and Td/Ta 0, Ss = predictor 1, Se 0, Ah/Al 0.
        var ls = 6 + 2 * components;
        h[0] = 0xFF;
        h[1] = SOS;
        BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)ls);
        h[4] = (byte)components;
        for (var c = 0; c < components; c++)
        {
            h[5 + 2 * c] = (byte)(c + 1);
            h[6 + 2 * c] = 0;
        }
        h[5 + 2 * components] = 1;
        h[6 + 2 * components] = 0;
        h[7 + 2 * components] = 0;
        writer.WriteBytes(h[..(2 + ls)]);

        // Pass 2: the differences (H.1.2.1): the first line from its left neighbour (the first sample from 2^(P−1)),
        // every first column from above, the rest from the left (selection value 1).
        lines = new LineBuffers(components, w);
        var worstLine = 5 * w * components + 16;
        for (var y = 0; y < d.Rows; y++)
        {
            writer.EnsureCapacity(worstLine);
            for (var c = 0; c < components; c++)
                SampleLayout.Load(frame, d, c, y, lines.Current(c), mask);
            for (var x = 1; x <= w; x++)
            {
                for (var c = 0; c < components; c++)
                {
                    var cur = lines.Current(c);
                    var px = x > 1 ? cur[x - 1] : y == 0 ? initial : lines.Previous(c)[1];
                    var diff = Difference(cur[x], px);
                    var ssss = Category(diff);
                    table.Encode(writer, ssss);
                    if (ssss is > 0 and < 16)
                        writer.Write((uint)(diff > 0 ? diff : diff - 1) & ((1u << ssss) - 1), ssss);
                }
            }
            for (var c = 0; c < components; c++)
                lines.Swap(c);
        }
        writer.Flush();
        h[0] = 0xFF;
        h[1] = EOI;
        writer.WriteBytes(h[..2]);
        return writer.Buffer.AsSpan(0, writer.Position).ToArray();
    }

    public void Decode(ReadOnlySpan<byte> data, PixelDescription description, Span<byte> frame)
    {
        var d = description;
        if (d.BitsAllocated > 16)
            throw new NotSupportedException($"JPEG lossless codes at most 16 bits; Bits Allocated is {d.BitsAllocated}");
        if (data.Length < 4 || data[0] != 0xFF || data[1] != SOI)
            throw new CodecDataException("a JPEG codestream starts with SOI (FF D8)", 0);
        var at = 2;
        var precision = 0;
        var ids = new int[d.SamplesPerPixel];
        var tables = new JpegHuffmanTable?[4];
        var done = new bool[d.SamplesPerPixel];
        while (true)
        {
            var (marker, start) = JpegMarkers.Next(data, ref at);
            if (marker == EOI)
                break;
            if (marker is >= 0xD0 and <= 0xD7 or 0x01)
                continue;
            var segment = JpegMarkers.Segment(data, ref at, start);
            switch (marker)
            {
                case SOF3:
                    if (segment.Length < 6 + 3 * d.SamplesPerPixel)
                        throw new CodecDataException("the SOF3 segment is too short", start);
                    precision = segment[0];
                    var rows = BinaryPrimitives.ReadUInt16BigEndian(segment[1..]);
                    var columns = BinaryPrimitives.ReadUInt16BigEndian(segment[3..]);
                    if (rows != d.Rows || columns != d.Columns || segment[5] != d.SamplesPerPixel)
                        throw new CodecDataException($"the JPEG frame is {columns}×{rows} with {segment[5]} components; the data set says {d.Columns}×{d.Rows} with {d.SamplesPerPixel}", start);
                    if (precision < 2 || precision > 16 || precision > d.BitsAllocated)
                        throw new CodecDataException($"JPEG precision {precision} does not fit Bits Allocated {d.BitsAllocated}", start);
                    for (var c = 0; c < d.SamplesPerPixel; c++)
                    {
                        ids[c] = segment[6 + 3 * c];
                        if (segment[7 + 3 * c] != 0x11)
                            throw new NotSupportedException("JPEG lossless with subsampled components is not supported");
                    }
                    break;
                case DHT:
                    JpegMarkers.ReadHuffmanTables(segment, start, tables, null);
                    break;
                case DRI:
                    if (segment.Length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(segment) != 0)
                        throw new NotSupportedException("JPEG lossless with restart intervals is not supported");
                    break;
                case SOS:
                    if (precision == 0)
                        throw new CodecDataException("SOS before SOF3", start);
                    at = DecodeScan(data, at, segment, start, d, frame, ids, tables, done, precision);
                    break;
                case >= 0xE0 and <= 0xEF:
                case 0xFE:
                case 0xDC:
                    break; // APPn, COM, DNL
                case >= 0xC0 and <= 0xCF:
                    throw new NotSupportedException($"JPEG process SOF{marker - 0xC0} is not JPEG lossless (SOF3)");
                default:
                    throw new CodecDataException($"marker FF {marker:X2} does not belong in a JPEG lossless codestream", start);
            }
        }
        if (Array.IndexOf(done, false) >= 0)
            throw new CodecDataException("the codestream ends before every component was decoded", data.Length);
    }

    private static int DecodeScan(ReadOnlySpan<byte> data, int at, ReadOnlySpan<byte> sos, int sosStart, PixelDescription d, Span<byte> frame,
        int[] ids, JpegHuffmanTable?[] tables, bool[] done, int precision)
    {
        var ns = sos.Length > 0 ? sos[0] : 0;
        if (ns < 1 || ns > d.SamplesPerPixel || sos.Length < 4 + 2 * ns)
            throw new CodecDataException($"the SOS segment for {ns} components is malformed", sosStart);
        var components = new int[ns];
        var scanTables = new JpegHuffmanTable[ns];
        for (var i = 0; i < ns; i++)
        {
            var index = Array.IndexOf(ids, sos[1 + 2 * i]);
            if (index < 0 || done[index])
                throw new CodecDataException($"scan component {sos[1 + 2 * i]} is unknown or already decoded", sosStart);
            components[i] = index;
            scanTables[i] = tables[(sos[2 + 2 * i] >> 4) & 3] ?? throw new CodecDataException($"scan component {sos[1 + 2 * i]} uses Huffman table {sos[2 + 2 * i] >> 4}, which is not defined", sosStart);
        }
        var predictor = sos[1 + 2 * ns];
        var pt = sos[3 + 2 * ns] & 0x0F;
        if (predictor is < 1 or > 7)
            throw new CodecDataException($"lossless predictor {predictor} is not 1–7", sosStart);
        if (pt >= precision)
            throw new CodecDataException($"point transform {pt} is not below precision {precision}", sosStart);
        if (predictor == 1)
        {
            // Selection value 1 (what we and dcmtk write): straight into the frame, one look-up a difference.
            var lossless = new JpegLosslessTable[ns];
            for (var i = 0; i < ns; i++)
            {
                var first = Array.IndexOf(scanTables, scanTables[i]);
                lossless[i] = first < i ? lossless[first] : new JpegLosslessTable(scanTables[i]);
            }
            var end = JpegLosslessLeftScan.Decode(data, at, d, frame, components, lossless, precision, pt);
            foreach (var c in components)
                done[c] = true;
            return end;
        }
        var w = d.Columns;
        var initial = 1 << (precision - pt - 1);
        var lines = new LineBuffers(ns, w);
        var reader = new JpegBitReader(data, at);
        var outMask = (1 << precision) - 1;
        var curs = new int[ns][];
        var prevs = new int[ns][];
        for (var y = 0; y < d.Rows; y++)
        {
            for (var i = 0; i < ns; i++)
            {
                curs[i] = lines.Current(i);
                prevs[i] = lines.Previous(i);
            }
            if (ns == 1 && y == 0)
            {
                // One component's first line: predict from the left.
                var cur = curs[0];
                var table = scanTables[0];
                cur[1] = ((y == 0 ? initial : prevs[0][1]) + ReadDifference(ref reader, table)) & 0xFFFF;
                for (var x = 2; x <= w; x++)
                    cur[x] = (cur[x - 1] + ReadDifference(ref reader, table)) & 0xFFFF;
            }
            else
            {
                for (var x = 1; x <= w; x++)
                {
                    for (var i = 0; i < ns; i++)
                    {
                        var cur = curs[i];
                        var prev = prevs[i];
                        int px;
                        if (y == 0)
                            px = x == 1 ? initial : cur[x - 1];
                        else if (x == 1)
                            px = prev[1];
                        else
                            px = Predict(predictor, cur[x - 1], prev[x], prev[x - 1]);
                        cur[x] = (px + ReadDifference(ref reader, scanTables[i])) & 0xFFFF;
                    }
                }
            }
            for (var i = 0; i < ns; i++)
            {
                var cur = lines.Current(i);
                if (pt > 0 || precision < 16)
                {
                    for (var x = 1; x <= w; x++)
                        cur[x] &= outMask >> pt;
                }
                StoreShifted(frame, d, components[i], y, cur, pt, precision);
                lines.Swap(i);
            }
        }
        foreach (var c in components)
            done[c] = true;
        return JpegMarkers.FindMarker(data, reader.Position);
    }

    /// <summary>H.1.2.2 / F.2.2.1: a difference category, then that many extra bits (none for 0 and for 16, which is 32768).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static int ReadDifference(ref JpegBitReader reader, JpegHuffmanTable table)
    {
        var ssss = table.Decode(ref reader);
        if (ssss == 0)
            return 0;
        if (ssss >= 16)
            return ssss == 16 ? 32768 : throw new CodecDataException($"difference category {ssss} is above 16", reader.Position);
        var diff = reader.Read(ssss);
        return diff < 1 << (ssss - 1) ? diff - ((1 << ssss) - 1) : diff;
    }

    private static void StoreShifted(Span<byte> frame, PixelDescription d, int component, int y, int[] line, int pt, int precision)
    {
        if (pt == 0)
        {
            SampleLayout.Store(frame, d, component, y, line, precision);
            return;
        }
        var shifted = new int[line.Length];
        for (var x = 1; x < line.Length - 1; x++)
            shifted[x] = line[x] << pt;
        SampleLayout.Store(frame, d, component, y, shifted, precision);
    }

    /// <summary>T.81 Table H.1: the seven predictors.</summary>
    private static int Predict(int selection, int ra, int rb, int rc) => selection switch
    {
        1 => ra,
        2 => rb,
        3 => rc,
        4 => ra + rb - rc,
        5 => ra + ((rb - rc) >> 1),
        6 => rb + ((ra - rc) >> 1),
        _ => (ra + rb) >> 1,
    };
}
