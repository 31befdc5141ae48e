using System.Buffers.Binary;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// JPEG-LS (ITU-T T.87 | ISO/IEC 14495-1) for DICOM: Lossless (1.2.840.10008.1.2.4.80) and Near-Lossless
/// (1.2.840.10008.1.2.4.81), 2–16 bits, one or three samples. We write SOI, SOF55, an LSE only when the coding
/// parameters are not the defaults, and one scan: colour is line-interleaved (ILV = 1), which dcmtk writes by default
/// and dcmtk, CharLS and GDCM read. We read ILV 0 (one scan per component) and 1; Bits Stored is the sample precision,
/// bits above it are not kept, and signed samples are sign-extended again when decoded (PS3.5 §8.2.3).
/// </summary>
public sealed class JpegLsCodec(bool nearLossless) : IPixelCodec
{
    private const byte SOI = 0xD8, EOI = 0xD9, SOF55 = 0xF7, LSE = 0xF8, SOS = 0xDA;

    public bool IsNearLossless { get; } = nearLossless;

    public DicomTransferSyntax TransferSyntax => IsNearLossless ? DicomTransferSyntax.JpegLsNearLossless : DicomTransferSyntax.JpegLsLossless;

    public void CheckCanEncode(PixelDescription description, CodecOptions options)
    {
        var d = description;
        if (d.BitsAllocated > 16 || d.BitsStored < 2)
            throw new NotSupportedException($"JPEG-LS codes 2–16 bits; this image has {d.BitsStored} stored of {d.BitsAllocated} allocated");
        _ = new JpegLsParameters(d.BitsStored, Near(options));
    }

    private int Near(CodecOptions options) => IsNearLossless ? options.NearLossless : 0;

    public byte[] Encode(ReadOnlySpan<byte> frame, PixelDescription description, CodecOptions options)
    {
        var d = description;
        CheckCanEncode(d, options);
        var p = new JpegLsParameters(d.BitsStored, Near(options));
        var w = d.Columns;
        var components = d.SamplesPerPixel;
        var writer = new JpegLsBitWriter(new byte[(int)Math.Min(Array.MaxLength, d.FrameBytes / 2 + 1024)], 0);
        Span<byte> header = stackalloc byte[32];
        header[0] = 0xFF;
        header[1] = SOI;
        writer.WriteBytes(header[..2]);
        // SOF55 (T.87 §C.2.2): Lf, P, Y, X, Nf, then per component C, H/V = 1/1, Tq = 0.
        var lf = 8 + 3 * components;
        header[0] = 0xFF;
        header[1] = SOF55;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)lf);
        header[4] = (byte)d.BitsStored;
        BinaryPrimitives.WriteUInt16BigEndian(header[5..], (ushort)d.Rows);
        BinaryPrimitives.WriteUInt16BigEndian(header[7..], (ushort)w);
        header[9] = (byte)components;
        for (var c = 0; c < components; c++)
        {
            header[10 + 3 * c] = (byte)(c + 1);
            header[11 + 3 * c] = 0x11;
            header[12 + 3 * c] = 0;
        }
        writer.WriteBytes(header[..(2 + lf)]);
        // SOS (§C.2.3): Ls, Ns, per component C and Tm = 0, NEAR, ILV, point transform 0.
        var ls = 6 + 2 * components;
        header[0] = 0xFF;
        header[1] = SOS;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)ls);
        header[4] = (byte)components;
        for (var c = 0; c < components; c++)
        {
            header[5 + 2 * c] = (byte)(c + 1);
            header[6 + 2 * c] = 0;
        }
        header[5 + 2 * components] = (byte)p.Near;
        header[6 + 2 * components] = (byte)(components > 1 ? 1 : 0);
        header[7 + 2 * components] = 0;
        writer.WriteBytes(header[..(2 + ls)]);

        var encoder = new JpegLsScanEncoder(p, writer, w);
        var lines = new LineBuffers(components, w);
        var runIndex = new int[components];
        var mask = (1 << d.BitsStored) - 1;
        var worstLine = (int)((long)w * p.Limit / 7) + 16;
        for (var y = 0; y < d.Rows; y++)
        {
            for (var c = 0; c < components; c++)
            {
                writer.EnsureCapacity(worstLine);
                var cur = lines.Current(c);
                SampleLayout.Load(frame, d, c, y, cur, mask);
                encoder.EncodeLine(lines.Previous(c), cur, ref runIndex[c]);
                lines.Swap(c);
            }
        }
        writer.Flush();
        header[0] = 0xFF;
        header[1] = EOI;
        writer.WriteBytes(header[..2]);
        return writer.Buffer.AsSpan(0, writer.Position).ToArray();
    }

    public void Decode(ReadOnlySpan<byte> data, PixelDescription description, Span<byte> frame)
    {
        var d = description;
        if (d.BitsAllocated > 16)
            throw new NotSupportedException($"JPEG-LS codes at most 16 bits; Bits Allocated is {d.BitsAllocated}");
        if (data.Length < 4 || data[0] != 0xFF || data[1] != SOI)
            throw new CodecDataException("a JPEG-LS codestream starts with SOI (FF D8)", 0);
        var at = 2;
        int precision = 0, rows = 0, columns = 0;
        int maxVal = 0, t1 = 0, t2 = 0, t3 = 0, reset = 0;
        var done = new bool[d.SamplesPerPixel];
        while (true)
        {
            var (marker, start) = JpegMarkers.Next(data, ref at);
            if (marker == EOI)
                break;
            if (marker is 0xD0 or 0xD1 or 0xD2 or 0xD3 or 0xD4 or 0xD5 or 0xD6 or 0xD7 or 0x01)
                continue; // standalone markers without a length
            var segment = JpegMarkers.Segment(data, ref at, start);
            switch (marker)
            {
                case SOF55:
                    if (segment.Length < 6)
                        throw new CodecDataException("the SOF55 segment is too short", start);
                    precision = segment[0];
                    rows = BinaryPrimitives.ReadUInt16BigEndian(segment[1..]);
                    columns = BinaryPrimitives.ReadUInt16BigEndian(segment[3..]);
                    var nf = segment[5];
                    if (rows != d.Rows || columns != d.Columns || nf != d.SamplesPerPixel)
                        throw new CodecDataException($"the JPEG-LS frame is {columns}×{rows} with {nf} components; the data set says {d.Columns}×{d.Rows} with {d.SamplesPerPixel}", start);
                    if (precision < 2 || precision > 16 || precision > d.BitsAllocated)
                        throw new CodecDataException($"JPEG-LS precision {precision} does not fit Bits Allocated {d.BitsAllocated}", start);
                    break;
                case LSE:
                    if (segment.Length >= 11 && segment[0] == 1)
                    {
                        maxVal = BinaryPrimitives.ReadUInt16BigEndian(segment[1..]);
                        t1 = BinaryPrimitives.ReadUInt16BigEndian(segment[3..]);
                        t2 = BinaryPrimitives.ReadUInt16BigEndian(segment[5..]);
                        t3 = BinaryPrimitives.ReadUInt16BigEndian(segment[7..]);
                        reset = BinaryPrimitives.ReadUInt16BigEndian(segment[9..]);
                    }
                    else
                    {
                        throw new NotSupportedException($"JPEG-LS LSE type {(segment.Length > 0 ? segment[0] : 0)} (mapping tables, oversize images) is not supported");
                    }
                    break;
                case SOS:
                    if (precision == 0)
                        throw new CodecDataException("SOS before SOF55", start);
                    at = DecodeScan(data, at, segment, start, d, frame, done,
                        (precision, maxVal, t1, t2, t3, reset));
                    break;
                case >= 0xE0 and <= 0xEF:
                case 0xFE:
                    break; // APPn, COM
                default:
                    throw new CodecDataException($"marker FF {marker:X2} does not belong in a JPEG-LS codestream", start);
            }
        }
        if (Array.IndexOf(done, false) >= 0)
            throw new CodecDataException("the codestream ends before every component was decoded", data.Length);
    }

    private static int DecodeScan(ReadOnlySpan<byte> data, int at, ReadOnlySpan<byte> sos, int sosStart, PixelDescription d, Span<byte> frame,
        bool[] done, (int Precision, int MaxVal, int T1, int T2, int T3, int Reset) frameParams)
    {
        var ns = sos.Length > 0 ? sos[0] : 0;
        if (ns < 1 || sos.Length < 4 + 2 * ns || ns > d.SamplesPerPixel)
            throw new CodecDataException($"the SOS segment for {ns} components is malformed", sosStart);
        var components = new int[ns];
        for (var i = 0; i < ns; i++)
        {
            var id = sos[1 + 2 * i];
            // Component identifiers are usually 1..n; some writers use 0..n-1: take the order of the SOF.
            var index = id >= 1 && id <= d.SamplesPerPixel ? id - 1 : id;
            if (index >= d.SamplesPerPixel || done[index])
                throw new CodecDataException($"scan component {id} is unknown or already decoded", sosStart);
            if (sos[2 + 2 * i] != 0)
                throw new NotSupportedException("JPEG-LS mapping tables are not supported");
            components[i] = index;
        }
        var near = sos[1 + 2 * ns];
        var ilv = sos[2 + 2 * ns];
        if (sos[3 + 2 * ns] != 0)
            throw new NotSupportedException("a JPEG-LS point transform is not supported");
        if (ilv > 1)
            throw new NotSupportedException($"JPEG-LS interleave mode {ilv} is not supported (0 and 1 are)");
        if (ns > 1 && ilv == 0)
            throw new CodecDataException("a non-interleaved scan has more than one component", sosStart);
        JpegLsParameters p;
        try
        {
            p = new JpegLsParameters(frameParams.Precision, near, frameParams.MaxVal, frameParams.T1, frameParams.T2, frameParams.T3, frameParams.Reset);
        }
        catch (NotSupportedException e)
        {
            throw new CodecDataException(e.Message, sosStart);
        }
        if (p.T1 > p.T2 || p.T2 > p.T3 || p.MaxVal >= 1 << frameParams.Precision)
            throw new CodecDataException($"JPEG-LS thresholds {p.T1}, {p.T2}, {p.T3} or MAXVAL {p.MaxVal} are inconsistent", sosStart);

        var w = d.Columns;
        var decoder = new JpegLsScanDecoder(p, w);
        var lines = new LineBuffers(ns, w);
        var runIndex = new int[ns];
        var reader = new JpegLsBitReader(data, at);
        for (var y = 0; y < d.Rows; y++)
        {
            for (var i = 0; i < ns; i++)
            {
                var cur = lines.Current(i);
                decoder.DecodeLine(ref reader, lines.Previous(i), cur, ref runIndex[i]);
                SampleLayout.Store(frame, d, components[i], y, cur, frameParams.Precision);
                lines.Swap(i);
            }
        }
        foreach (var c in components)
            done[c] = true;
        return reader.ScanEnd;
    }
}
