using System.Buffers.Binary;
using System.Globalization;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// Changes the pixel data of a data set from one transfer syntax to another, frame by frame: decode (if compressed)
/// to native, encode (if the target is compressed) into one fragment per frame with a Basic Offset Table (PS3.5
/// §A.4), or an Extended Offset Table (7FE0,0001)/(7FE0,0002) when the fragments pass 4 GiB. A lossy step sets
/// Lossy Image Compression (0028,2110) to 01 and appends its ratio and method (PS3.3 §C.7.6.1.1.5); they are never
/// removed once set.
/// </summary>
public static class PixelDataTranscoder
{
    private static readonly IPixelCodec[] Codecs =
    [
        new RleCodec(), new JpegLsCodec(false), new JpegLsCodec(true), new JpegLosslessCodec(),
        // Process 14 with any predictor: our decoder reads them all; we encode it with selection value 1, which is one.
        new JpegLosslessCodec(DicomTransferSyntax.FromUid(DicomUids.JPEGLossless)),
        new JpegBaselineCodec(),
    ];

    /// <summary>The codec for a compressed transfer syntax, or null when there is none.</summary>
    public static IPixelCodec? CodecFor(DicomTransferSyntax ts) => Array.Find(Codecs, c => c.TransferSyntax.Equals(ts));

    /// <summary>
    /// A new data set (sharing every element but the pixel data and the attributes the change touches) whose pixel
    /// data is in <paramref name="to"/>. Returns <paramref name="source"/> itself when the pixel data need not change.
    /// Corrupt compressed data raises <see cref="DicomFormatException"/> naming the frame and the offset.
    /// </summary>
    /// <param name="store">Where the new pixel data are kept: in memory (null, <see cref="PixelStore.Memory"/>), or a
    /// <see cref="PixelScratchFile"/> — then, with a source whose pixel data are read from its file when asked
    /// (<see cref="DicomFile.Open"/>), one native and one compressed frame are in memory at a time.</param>
    public static DicomDataset Transcode(DicomDataset source, DicomTransferSyntax from, DicomTransferSyntax to, CodecOptions? options = null, PixelStore? store = null)
    {
        options ??= CodecOptions.Default;
        store ??= PixelStore.Memory;
        var pixels = source.Find(DicomTags.PixelData);
        var sourceEncapsulated = from.IsEncapsulated || pixels is DicomFragmentSequence;
        if (pixels is null || (!sourceEncapsulated && !to.IsEncapsulated) || (from.Equals(to) && sourceEncapsulated))
            return source;
        var d = PixelDescription.FromDataset(source);
        var decoder = sourceEncapsulated
            ? CodecFor(from) ?? throw new NotSupportedException($"the pixel data is compressed in {from}: there is no codec here to decompress it")
            : null;
        var encoder = to.IsEncapsulated
            ? CodecFor(to) ?? throw new NotSupportedException($"there is no codec here to compress pixel data to {to}")
            : null;
        var reader = FrameSource.For(pixels, decoder, d);

        var result = new DicomDataset(source.Where(i => i.Tag != DicomTags.PixelData
            && i.Tag != DicomTags.ExtendedOffsetTable && i.Tag != DicomTags.ExtendedOffsetTableLengths));
        if (encoder is null)
        {
            // Native pixel data are one value of defined length (PS3.5 §7.1): even, below the undefined length.
            if (d.TotalBytes + (d.TotalBytes & 1) >= uint.MaxValue)
                throw new NotSupportedException($"{d.TotalBytes} bytes of native pixel data do not fit one value");
            DicomBuffer value;
            if (store.InMemory)
            {
                if (d.TotalBytes > Array.MaxLength)
                    throw new NotSupportedException($"{d.TotalBytes} bytes of native pixel data do not fit one buffer");
                var native = GC.AllocateUninitializedArray<byte>((int)d.TotalBytes);
                for (var f = 0; f < d.Frames; f++)
                    reader.Read(f, native.AsSpan((int)(f * d.FrameBytes), (int)d.FrameBytes));
                value = DicomBuffer.From(native);
            }
            else
            {
                var one = GC.AllocateUninitializedArray<byte>((int)d.FrameBytes);
                var frames = new List<DicomBuffer>(d.Frames);
                for (var f = 0; f < d.Frames; f++)
                {
                    reader.Read(f, one);
                    frames.Add(store.Keep(one.AsSpan()));
                }
                value = frames.Count == 1 ? frames[0] : DicomBuffer.Concat(frames);
            }
            result.SetBytes(DicomTags.PixelData, d.BitsAllocated > 8 ? DicomVR.OW : DicomVR.OB, value);
            SetDecodedColour(result, decoder, d);
            return result;
        }

        // What the decoder produced is what the encoder reads: JPEG baseline colour comes out as RGB.
        var decoded = decoder is JpegBaselineCodec && d.SamplesPerPixel == 3 ? d with { Photometric = "RGB" } : d;
        encoder.CheckCanEncode(decoded, options);
        var frame = GC.AllocateUninitializedArray<byte>((int)d.FrameBytes);
        var fragments = new List<DicomBuffer>(d.Frames);
        long compressed = 0;
        for (var f = 0; f < d.Frames; f++)
        {
            reader.Read(f, frame);
            var bytes = encoder.Encode(frame, decoded, options);
            fragments.Add(store.Keep(bytes));
            compressed += bytes.Length + (bytes.Length & 1);
        }
        SetOffsetTables(result, fragments, compressed, out var basicOffsetTable);
        result.AddOrUpdate(new DicomFragmentSequence(DicomTags.PixelData, DicomVR.OB, basicOffsetTable, fragments));
        SetDecodedColour(result, decoder, d);
        if (encoder is JpegBaselineCodec && d.SamplesPerPixel == 3)
        {
            // PS3.5 §8.2.1: the codestream holds YCbCr with Cb and Cr halved horizontally.
            result.Set(DicomTags.PhotometricInterpretation, "YBR_FULL_422");
            result.Set(DicomTags.PlanarConfiguration, 0);
        }
        if (IsLossy(encoder, options))
        {
            var ratio = (double)d.TotalBytes / Math.Max(compressed, 1);
            MarkLossy(result, ratio, LossyMethod(encoder));
            if (!options.KeepSopInstanceUid)
                LossyDerivation.Apply(result, source, Describe(encoder, options, ratio), options.DerivedSopInstanceUid);
        }
        return result;
    }

    /// <summary>
    /// The native bytes of frame <paramref name="frame"/> (0-based; little endian, the data set's Planar
    /// Configuration), decompressed when the pixel data is encapsulated — one frame, never the whole object.
    /// </summary>
    public static byte[] ReadFrame(DicomDataset source, DicomTransferSyntax ts, int frame)
    {
        var pixels = source.Find(DicomTags.PixelData) ?? throw new DicomFormatException("there is no pixel data", 0, DicomTags.PixelData);
        var d = PixelDescription.FromDataset(source);
        ArgumentOutOfRangeException.ThrowIfNegative(frame);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(frame, d.Frames);
        var decoder = ts.IsEncapsulated || pixels is DicomFragmentSequence
            ? CodecFor(ts) ?? throw new NotSupportedException($"the pixel data is compressed in {ts}: there is no codec here to decompress it")
            : null;
        var bytes = GC.AllocateUninitializedArray<byte>((int)d.FrameBytes);
        FrameSource.For(pixels, decoder, d).Read(frame, bytes);
        return bytes;
    }

    /// <summary>JPEG baseline colour is decoded to RGB (PS3.5 §8.2.1 ties the photometric to the codestream).</summary>
    private static void SetDecodedColour(DicomDataset result, IPixelCodec? decoder, PixelDescription d)
    {
        if (decoder is JpegBaselineCodec && d.SamplesPerPixel == 3)
            result.Set(DicomTags.PhotometricInterpretation, "RGB");
    }

    private static string Describe(IPixelCodec encoder, CodecOptions options, double ratio) => encoder switch
    {
        JpegBaselineCodec => $"Lossy compression: JPEG baseline (ISO 10918-1) quality {options.Quality}, ratio {ratio.ToString("0.#", CultureInfo.InvariantCulture)}:1",
        _ => $"Lossy compression: JPEG-LS near-lossless (ISO 14495-1) NEAR {options.NearLossless}, ratio {ratio.ToString("0.#", CultureInfo.InvariantCulture)}:1",
    };

    private static bool IsLossy(IPixelCodec codec, CodecOptions options) =>
        codec is JpegBaselineCodec || (codec is JpegLsCodec { IsNearLossless: true } && options.NearLossless > 0);

    private static string LossyMethod(IPixelCodec codec) => codec switch
    {
        JpegLsCodec => "ISO_14495_1",
        _ => "ISO_10918_1",
    };

    /// <summary>
    /// PS3.5 §A.4: the Basic Offset Table holds each frame's offset from the first fragment's item tag while those
    /// fit 32 bits; past 4 GiB it stays empty and the Extended Offset Table (PS3.3 §C.7.6.3.1.8) carries 64-bit ones.
    /// </summary>
    internal static void SetOffsetTables(DicomDataset result, List<DicomBuffer> fragments, long compressed, out DicomBuffer basicOffsetTable)
    {
        var itemsLength = compressed + 8L * fragments.Count;
        if (itemsLength <= uint.MaxValue)
        {
            var table = new byte[4 * fragments.Count];
            long at = 0;
            for (var i = 0; i < fragments.Count; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(4 * i), (uint)at);
                at += 8 + fragments[i].Length + (fragments[i].Length & 1);
            }
            basicOffsetTable = DicomBuffer.From(table);
            return;
        }
        var offsets = new byte[8 * fragments.Count];
        var lengths = new byte[8 * fragments.Count];
        long pos = 0;
        for (var i = 0; i < fragments.Count; i++)
        {
            var padded = fragments[i].Length + (fragments[i].Length & 1);
            BinaryPrimitives.WriteUInt64LittleEndian(offsets.AsSpan(8 * i), (ulong)pos);
            BinaryPrimitives.WriteUInt64LittleEndian(lengths.AsSpan(8 * i), (ulong)padded);
            pos += 8 + padded;
        }
        result.SetBytes(DicomTags.ExtendedOffsetTable, DicomVR.OV, DicomBuffer.From(offsets));
        result.SetBytes(DicomTags.ExtendedOffsetTableLengths, DicomVR.OV, DicomBuffer.From(lengths));
        basicOffsetTable = DicomBuffer.Empty;
    }

    /// <summary>PS3.3 §C.7.6.1.1.5: once lossy, always lossy; each lossy step appends its ratio and method.</summary>
    internal static void MarkLossy(DicomDataset ds, double ratio, string method)
    {
        var ratios = ds.Find(DicomTags.LossyImageCompressionRatio) is DicomElement { Length: > 0 } ? ds.GetStrings(DicomTags.LossyImageCompressionRatio) : [];
        var methods = ds.Find(DicomTags.LossyImageCompressionMethod) is DicomElement { Length: > 0 } ? ds.GetStrings(DicomTags.LossyImageCompressionMethod) : [];
        ds.Set(DicomTags.LossyImageCompression, "01");
        ds.Set(DicomTags.LossyImageCompressionRatio, [.. ratios, ratio.ToString("0.###", CultureInfo.InvariantCulture)]);
        ds.Set(DicomTags.LossyImageCompressionMethod, [.. methods, method]);
    }
}
