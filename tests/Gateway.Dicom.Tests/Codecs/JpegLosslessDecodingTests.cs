using Gateway.Dicom.Codecs;
using Gateway.Testing;
using Xunit;

namespace Gateway.Dicom.Tests.Codecs;

/// <summary>
/// Issue #19, the one-step JPEG lossless decoder (code and extra bits from one 12-bit look-up, the rest from the
/// standard's F.2.2.3 decoding): the edges that the smooth test images never reach — every difference category 0–16
/// with codes on both sides of the look-up's 12 bits, point transforms, signed samples, 16-bit colour, a table per
/// component and a scan per component — decoded against the input and against dcmtk.
/// </summary>
public sealed class JpegLosslessDecodingTests
{
    /// <summary>
    /// 16-bit samples whose left-to-right differences fall in category k with probability 2^−(k+1), and the first
    /// 4 × 17 of them in each category in turn (so 15 and 16, the difference 32768, are there for certain). The
    /// encoder's optimised table then gives category k a code of about k + 1 bits: code and extra bits together
    /// are ≤ 12 up to category 5 and longer from 6 on, codes up to 16 bits.
    /// </summary>
    private static byte[] EveryCategory(int columns, int rows, out int[] categories)
    {
        var random = new Random(1916);
        categories = new int[17];
        var pixels = new byte[2 * columns * rows];
        var n = 0;
        for (var y = 0; y < rows; y++)
        {
            var v = random.Next(65536);
            for (var x = 0; x < columns; x++)
            {
                if (x > 0)
                {
                    var k = n < 4 * 17 ? n % 17 : Math.Min(16, System.Numerics.BitOperations.TrailingZeroCount(random.Next() | 1 << 20));
                    n++;
                    var diff = k switch
                    {
                        0 => 0,
                        16 => 32768,
                        _ => random.Next(1 << (k - 1), 1 << k) * (random.Next(2) == 0 ? 1 : -1),
                    };
                    categories[k]++;
                    v = (v + diff) & 0xFFFF;
                }
                pixels[2 * (y * columns + x)] = (byte)v;
                pixels[2 * (y * columns + x) + 1] = (byte)(v >> 8);
            }
        }
        return pixels;
    }

    [Fact]
    public void Every_difference_category_0_to_16_with_codes_either_side_of_the_look_up_decodes_bit_exact()
    {
        using var temp = new TempDirectory("jpegll-cat");
        var spec = new CodecImages.Spec("categories", Iod.IodKind.SecondaryCapture, 256, 96, 1, 16, 16);
        var pixels = EveryCategory(spec.Columns, spec.Rows, out var categories);
        Assert.All(categories, c => Assert.True(c > 0, "every category occurs"));
        var native = temp.File("native.dcm");
        CodecImages.File(spec, pixels).Save(native);

        // Ours: our own decoder, dcmtk's and GDCM's.
        var ours = temp.File("ours.dcm");
        DicomFile.Open(native).Transcode(DicomTransferSyntax.JpegLosslessSV1).Save(ours);
        CodecPeers.AssertSame(pixels, CodecImages.NativePixels(DicomFile.Open(ours)), "our decoder, our codestream");
        CodecPeers.Dcmtk("dcmdjpeg", ours, temp.File("ours-dcmtk.dcm"));
        CodecPeers.AssertSame(pixels, DicomFile.Open(temp.File("ours-dcmtk.dcm")).Dataset.GetBuffer(DicomTags.PixelData).Memory.Span, "dcmdjpeg, our codestream");
        CodecPeers.AssertSame(pixels, CodecPeers.PydicomGdcm(ours), "pydicom/GDCM, our codestream");

        // dcmtk's: its own table for the same differences.
        var theirs = temp.File("dcmtk.dcm");
        CodecPeers.Dcmtk("dcmcjpeg", "+e1", native, theirs);
        CodecPeers.AssertSame(pixels, CodecImages.NativePixels(DicomFile.Open(theirs)), "our decoder, dcmcjpeg +e1");
    }

    [Theory]
    [InlineData("101x77-12bit", "2")]
    [InlineData("rgb-33x21", "3")]
    [InlineData("50-frame-16bit", "5")]
    public void A_point_transform_with_selection_value_1_decodes_as_dcmtk_does(string image, string pt)
    {
        var spec = CodecImages.Small.First(s => s.Name == image);
        DcmtkEncodesWeDecode(CodecImages.File(spec), null, "+el", "+sv", "1", "+pt", pt);
    }

    [Fact]
    public void Standard_tables_decode_bit_exact()
    {
        // dcmcjpeg -ho on 8-bit colour: the Annex K table instead of an optimised one (one table for all three).
        var file = CodecImages.File(CodecImages.MultiFrameColour);
        DcmtkEncodesWeDecode(file, file.Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray(), "+e1", "-ho");
    }

    [Fact]
    public void Signed_12_bit_samples_are_sign_extended_as_stored()
    {
        var spec = CodecImages.Grey12;
        var file = CodecImages.File(spec);
        var pixels = file.Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray();
        for (var i = 0; i < pixels.Length; i += 2)
        {
            // Centre the 12-bit values on zero, stored sign-extended to 16 bits as PS3.5 §8.1.1 asks.
            var v = (short)((pixels[i] | pixels[i + 1] << 8) - 2048);
            pixels[i] = (byte)v;
            pixels[i + 1] = (byte)(v >> 8);
        }
        file.Dataset.Set(DicomTags.PixelRepresentation, (ushort)1);
        file.Dataset.SetBytes(DicomTags.PixelData, DicomVR.OW, DicomBuffer.From(pixels));
        DcmtkEncodesWeDecode(file, pixels, "+e1");
        CodecPeers.AssertSame(pixels, CodecImages.NativePixels(file.Transcode(DicomTransferSyntax.JpegLosslessSV1)), "our round trip");
    }

    [Fact]
    public void Sixteen_bit_colour_decodes_bit_exact()
    {
        var file = CodecImages.File(CodecImages.Rgb);
        var random = new Random(3);
        var pixels = new byte[2 * CodecImages.Rgb.Columns * CodecImages.Rgb.Rows * 3];
        random.NextBytes(pixels);
        file.Dataset.Set(DicomTags.BitsAllocated, (ushort)16);
        file.Dataset.Set(DicomTags.BitsStored, (ushort)16);
        file.Dataset.Set(DicomTags.HighBit, (ushort)15);
        file.Dataset.SetBytes(DicomTags.PixelData, DicomVR.OW, DicomBuffer.From(pixels));
        DcmtkEncodesWeDecode(file, pixels, "+e1");
        CodecPeers.AssertSame(pixels, CodecImages.NativePixels(file.Transcode(DicomTransferSyntax.JpegLosslessSV1)), "our round trip");
    }

    [Fact]
    public void The_one_step_table_agrees_with_the_standard_decoding_for_every_16_bit_prefix()
    {
        // Category k counted about 2^(16−k) times: code lengths from 1 to 16 (K.2 and K.3).
        Span<long> counts = stackalloc long[256];
        for (var k = 0; k <= 16; k++)
            counts[k] = 1L << (17 - k);
        var huffman = JpegHuffmanTable.FromCounts(counts);
        Assert.Equal(16, Enumerable.Range(1, 16).Last(l => huffman.Bits[l] > 0));
        var table = new JpegLosslessTable(huffman);
        var random = new Random(12);
        int inTable = 0, slow = 0, noCode = 0;
        for (var prefix = 0; prefix < 1 << 16; prefix++)
        {
            var bits = (ulong)prefix << 48 | (ulong)random.NextInt64() >> 16;
            var entry = table.Entry(bits);
            uint standard;
            try
            {
                standard = table.Slow(bits, 0);
            }
            catch (CodecDataException)
            {
                Assert.Equal(0u, entry); // the all-ones pattern K.2 reserves matches no code
                noCode++;
                continue;
            }
            if (entry == 0)
            {
                slow++;
                continue;
            }
            inTable++;
            Assert.Equal(standard, entry);
        }
        Assert.True(inTable > 0 && slow > 0 && noCode > 0, $"{inTable} in the look-up, {slow} beyond it, {noCode} without a code");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_table_per_component_interleaved_or_one_scan_per_component_out_of_order_decodes_as_dcmtk_does(bool interleaved)
    {
        // Neither we nor dcmcjpeg write these (both: one interleaved scan, one table), other encoders may (T.81 allows
        // up to four tables and a scan per component in any order): written here by hand, judged by dcmdjpeg.
        using var temp = new TempDirectory("jpegll-scans");
        var spec = CodecImages.Rgb;
        var file = CodecImages.File(spec);
        var pixels = file.Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray();
        var codestream = ScansByHand(pixels, spec.Columns, spec.Rows, interleaved);
        file.Dataset.AddOrUpdate(new DicomFragmentSequence(DicomTags.PixelData, DicomVR.OB, DicomBuffer.Empty, [DicomBuffer.From(codestream)]));
        var path = temp.File("scans.dcm");
        new DicomFile(file.Dataset, DicomTransferSyntax.JpegLosslessSV1).Save(path);
        CodecPeers.Dcmtk("dcmdjpeg", path, temp.File("dcmtk.dcm"));
        CodecPeers.AssertSame(pixels, DicomFile.Open(temp.File("dcmtk.dcm")).Dataset.GetBuffer(DicomTags.PixelData).Memory.Span, "dcmdjpeg, the hand-written scans");
        CodecPeers.AssertSame(pixels, CodecImages.NativePixels(DicomFile.Open(path)), "our decoder, the hand-written scans");
    }

    /// <summary>
    /// 8-bit RGB (colour-by-pixel) as SOF3 with three Huffman tables, one per component (each optimised for it; the
    /// blue samples are scrambled, in <paramref name="rgb"/> too, so that its differences and table differ), predictor 1; either one interleaved scan or one scan
    /// per component in the order blue, red, green.
    /// </summary>
    private static byte[] ScansByHand(byte[] rgb, int w, int h, bool interleaved)
    {
        for (var i = 0; i < rgb.Length; i += 3)
            rgb[i + 2] ^= (byte)(i / 3 % w * 37);
        int Sample(int c, int x, int y) => rgb[3 * (y * w + x) + c];
        int Difference(int c, int x, int y)
        {
            var px = x > 0 ? Sample(c, x - 1, y) : y > 0 ? Sample(c, 0, y - 1) : 128;
            return Sample(c, x, y) - px;
        }
        static int Category(int diff) => diff == 0 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)Math.Abs(diff));
        var tables = new JpegHuffmanTable[3];
        for (var c = 0; c < 3; c++)
        {
            var counts = new long[256];
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                    counts[Category(Difference(c, x, y))]++;
            }
            tables[c] = JpegHuffmanTable.FromCounts(counts);
        }
        var writer = new JpegBitWriter(16 * rgb.Length + 1024);
        writer.WriteBytes([0xFF, 0xD8, 0xFF, 0xC3, 0, 17, 8, (byte)(h >> 8), (byte)h, (byte)(w >> 8), (byte)w, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]);
        var dht = new List<byte>();
        for (var c = 0; c < 3; c++)
            dht.AddRange([(byte)c, .. tables[c].Bits.AsSpan(1, 16).ToArray(), .. tables[c].Values]);
        writer.WriteBytes([0xFF, 0xC4, (byte)((dht.Count + 2) >> 8), (byte)(dht.Count + 2), .. dht]);
        void Code(int c, int x, int y)
        {
            var diff = Difference(c, x, y);
            var ssss = Category(diff);
            tables[c].Encode(writer, ssss);
            if (ssss > 0)
                writer.Write((uint)(diff > 0 ? diff : diff - 1) & ((1u << ssss) - 1), ssss);
        }
        foreach (var scan in interleaved ? new[] { new[] { 0, 1, 2 } } : [[2], [0], [1]])
        {
            var sos = new List<byte> { 0xFF, 0xDA, 0, (byte)(6 + 2 * scan.Length), (byte)scan.Length };
            foreach (var c in scan)
                sos.AddRange([(byte)(c + 1), (byte)(c << 4)]);
            sos.AddRange([1, 0, 0]);
            writer.WriteBytes(sos.ToArray());
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    foreach (var c in scan)
                        Code(c, x, y);
                }
            }
            writer.Flush();
        }
        writer.WriteBytes([0xFF, 0xD9]);
        return writer.Buffer.AsSpan(0, writer.Position).ToArray();
    }

    /// <summary>dcmcjpeg encodes <paramref name="file"/>; we decode it as dcmdjpeg does (and as the input, when given).</summary>
    private static void DcmtkEncodesWeDecode(DicomFile file, byte[]? input, params string[] options)
    {
        using var temp = new TempDirectory("jpegll-dcmtk");
        var native = temp.File("native.dcm");
        file.Save(native);
        CodecPeers.Dcmtk("dcmcjpeg", [.. options, native, temp.File("dcmtk-jpeg.dcm")]);
        CodecPeers.Dcmtk("dcmdjpeg", temp.File("dcmtk-jpeg.dcm"), temp.File("dcmtk-back.dcm"));
        var theirs = DicomFile.Open(temp.File("dcmtk-back.dcm")).Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray();
        var ours = CodecImages.NativePixels(DicomFile.Open(temp.File("dcmtk-jpeg.dcm")));
        CodecPeers.AssertSame(theirs.AsSpan(0, ours.Length), ours, $"our decoding of dcmcjpeg {string.Join(' ', options)}");
        if (input is not null)
            CodecPeers.AssertSame(input, ours, $"our decoding of dcmcjpeg {string.Join(' ', options)} against the input");
    }
}
