using System.Globalization;
using System.Text.RegularExpressions;
using Gateway.Dicom;
using Gateway.Dicom.Codecs;
using Gateway.Dicom.Imaging;
using Gateway.Dicom.Iod;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #19 acceptance, SCP side: a modality (dcmtk storescu) sends files dcmtk compressed (dcmcjpls, dcmcrle,
/// dcmcjpeg) to `gateway run`'s storage SCP in their compressed syntax; the gateway forwards them to a PACS (storescp)
/// that accepts only Explicit VR LE, where they arrive decompressed, pixel for pixel what dcmtk's own decoders make.
/// </summary>
public sealed class CompressedModalityTests
{
    private static void Dcmtk(string tool, params string[] args)
    {
        var r = ProcessRunner.Run(Peers.Require(tool, "dcmtk"), args, TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 0, $"{tool} {string.Join(' ', args)}: {r.All}");
    }

    private static byte[] Pixels(string path) =>
        DicomFile.Open(path).Dataset.Find(DicomTags.PixelData) is DicomElement e ? e.Buffer.Memory.ToArray() : throw new InvalidOperationException(path + " has no native pixel data");

    /// <summary>An SC image with structure and noise, saved in Explicit VR LE.</summary>
    private static string Source(TempDirectory dir, int bits, int stored, string name)
    {
        var format = new ImageFormat(129, 77, 1, bits, stored);
        var pixels = new byte[format.FrameLength];
        var random = new Random(bits);
        var max = (1 << stored) - 1;
        for (var i = 0; i < format.Columns * format.Rows; i++)
        {
            var v = Math.Clamp((i % format.Columns) * max / format.Columns / 2 + (i / format.Columns) * max / format.Rows / 2 + random.Next(-max / 16, max / 16 + 1), 0, max);
            if (bits == 8)
                pixels[i] = (byte)v;
            else
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(pixels.AsSpan(2 * i), (ushort)v);
        }
        var ds = new IodBuilder().Build(IodKind.SecondaryCapture, [new Frame(format, DicomBuffer.From(pixels))], new DicomDataset(),
            new SeriesContext(DicomUidGenerator.Default).NextInstance());
        var path = dir.File(name);
        new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Save(path);
        return path;
    }

    [Fact]
    public async Task JPEG_LS_RLE_and_JPEG_baseline_from_a_modality_arrive_decompressed_at_an_Explicit_VR_LE_only_PACS_as_dcmtk_decodes_them()
    {
        using var dir = new TempDirectory("compressed-modality");
        using var pacs = new DcmtkStoreScp(extraArgs: StoreScpNegotiation.AcceptingOnly(dir.Path, "LocalEndianExplicit", "SecondaryCaptureImageStorage"));
        var destination = $$"""{ "name": "pacs", "aeTitle": "{{pacs.AeTitle}}", "host": "127.0.0.1", "port": {{pacs.Port.ToString(CultureInfo.InvariantCulture)}}, "retryMinSeconds": 1, "retryMaxSeconds": 4 }""";
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destination);
        gateway.Start();

        var grey8 = Source(dir, 8, 8, "grey8.dcm");
        var grey16 = Source(dir, 16, 12, "grey16.dcm");
        // (compressed file, the storescu option that proposes its syntax alone, dcmtk's decoder)
        var cases = new List<(string File, string Propose, string Decoder, string Syntax)>();
        void Make(string source, string encoder, string[] options, string propose, string decoder, string syntax)
        {
            var output = dir.File($"{Path.GetFileNameWithoutExtension(source)}-{encoder}.dcm");
            Dcmtk(encoder, [.. options, source, output]);
            cases.Add((output, propose, decoder, syntax));
        }
        Make(grey8, "dcmcjpls", [], "-xt", "dcmdjpls", DicomUids.JPEGLSLossless);
        Make(grey16, "dcmcjpls", [], "-xt", "dcmdjpls", DicomUids.JPEGLSLossless);
        Make(grey8, "dcmcrle", [], "-xr", "dcmdrle", DicomUids.RLELossless);
        Make(grey16, "dcmcrle", [], "-xr", "dcmdrle", DicomUids.RLELossless);
        Make(grey8, "dcmcjpeg", ["+eb", "+q", "85"], "-xy", "dcmdjpeg", DicomUids.JPEGBaseline8Bit);

        var expected = new Dictionary<string, (byte[] Pixels, string Case)>();
        foreach (var (file, propose, decoder, syntax) in cases)
        {
            Assert.Equal(syntax, DicomFile.OpenHeader(file).TransferSyntax.Uid);
            var decoded = file + ".decoded.dcm";
            Dcmtk(decoder, file, decoded);
            // A new SOP Instance UID per file (dcmtk keeps the source's): the PACS must get five instances.
            var uid = DicomUidGenerator.Default.NewUid();
            Dcmtk("dcmodify", "-nb", "-m", $"(0008,0018)={uid}", file);
            expected[uid] = (Pixels(decoded), Path.GetFileName(file));
            // -R: only this file's syntax is proposed, so the gateway's SCP must accept it compressed.
            var send = ProcessRunner.Run(Peers.Require("storescu", "dcmtk"), ["-R", propose, "-aec", "GATEWAY", "127.0.0.1", gateway.ScpPort.ToString(CultureInfo.InvariantCulture), file], TimeSpan.FromMinutes(1));
            Assert.True(send.ExitCode == 0, $"storescu {propose} {Path.GetFileName(file)}: {send.All}\n{gateway.Output}");
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((pacs.ReceivedFiles.Count < expected.Count || gateway.SpoolEntries > 0) && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        Assert.True(pacs.ReceivedFiles.Count == expected.Count, $"{pacs.ReceivedFiles.Count} of {expected.Count} arrived\n{gateway.Output}");
        foreach (var received in pacs.ReceivedFiles)
        {
            var file = DicomFile.Open(received);
            Assert.Equal(DicomUids.ExplicitVRLittleEndian, file.TransferSyntax.Uid);
            var uid = file.Dataset.GetString(DicomTags.SOPInstanceUID); // decompressing keeps the instance, lossy or not
            Assert.True(expected.TryGetValue(uid, out var want), $"unexpected instance {uid}");
            var got = Pixels(received);
            if (want.Case.Contains("dcmcjpeg", StringComparison.Ordinal))
            {
                // JPEG baseline: T.81 fixes the decoder's output only up to the IDCT's accuracy (Annex A.3.3 / the
                // T.83 compliance bound), so two correct decoders may differ by a level; lossless ones must be exact.
                Assert.Equal(want.Pixels.Length, got.Length);
                var worst = want.Pixels.Zip(got, (x, y) => Math.Abs(x - y)).Max();
                Assert.True(worst <= 2, $"{want.Case}: a pixel differs by {worst} from dcmtk's decoding (at most 2 allowed for JPEG baseline)");
            }
            else
                Assert.True(want.Pixels.AsSpan().SequenceEqual(got), $"{want.Case}: the pixels differ from {Path.GetFileName(want.Case)} as dcmtk decodes it");
            Assert.Empty(Dciodvfy.Errors(received));
            if (want.Case.Contains("dcmcjpeg", StringComparison.Ordinal))
                Assert.Equal("01", file.Dataset.GetString(DicomTags.LossyImageCompression)); // once lossy, always lossy
        }
        Assert.Equal(0, gateway.SpoolEntries);
    }

    [Fact]
    public async Task An_object_in_a_syntax_we_cannot_decode_is_stored_and_forwarded_byte_for_byte()
    {
        using var dir = new TempDirectory("undecodable");
        Peers.RequirePydicom();
        var j2k = Path.Combine(Peers.PydicomData, "test_files", "JPEG2000.dcm");
        Assert.Null(PixelDataTranscoder.CodecFor(DicomFile.OpenHeader(j2k).TransferSyntax)); // no JPEG 2000 codec here
        using var pacs = new DcmtkStoreScp(extraArgs: ["+xa"]); // a PACS that accepts JPEG 2000 as it comes
        var destination = $$"""{ "name": "pacs", "aeTitle": "{{pacs.AeTitle}}", "host": "127.0.0.1", "port": {{pacs.Port.ToString(CultureInfo.InvariantCulture)}}, "retryMinSeconds": 1, "retryMaxSeconds": 4 }""";
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destination);
        gateway.Start();
        var send = ProcessRunner.Run(Peers.Require("storescu", "dcmtk"), ["-R", "-xw", "-aec", "GATEWAY", "127.0.0.1", gateway.ScpPort.ToString(CultureInfo.InvariantCulture), j2k], TimeSpan.FromMinutes(1));
        Assert.True(send.ExitCode == 0, send.All);
        // storescp creates the file before it has written it, and answers once it has: the empty spool says it answered.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((pacs.ReceivedFiles.Count == 0 || gateway.SpoolEntries > 0) && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        var received = Assert.Single(pacs.ReceivedFiles);
        var sent = DicomFile.Open(j2k);
        var got = DicomFile.Open(received);
        Assert.Equal(sent.TransferSyntax.Uid, got.TransferSyntax.Uid);
        var a = Assert.IsType<DicomFragmentSequence>(sent.Dataset.Find(DicomTags.PixelData));
        var b = Assert.IsType<DicomFragmentSequence>(got.Dataset.Find(DicomTags.PixelData));
        Assert.Equal(a.Fragments.Count, b.Fragments.Count);
        for (var i = 0; i < a.Fragments.Count; i++)
            Assert.True(a.Fragments[i].Memory.Span.SequenceEqual(b.Fragments[i].Memory.Span), $"fragment {i} differs");
    }

    /// <summary>
    /// A PACS that takes only JPEG baseline (Orthanc's AcceptedTransferSyntaxes), with storage commitment: the gateway,
    /// allowed lossy for it, sends a lossy copy under a UID derived from the original, and asks commitment of that one.
    /// </summary>
    [Fact]
    public async Task A_lossy_copy_for_a_JPEG_baseline_only_PACS_is_committed_under_the_SOP_Instance_UID_it_was_sent_with()
    {
        using var dir = new TempDirectory("lossy-commit");
        var scpPort = FreePort.Get();
        using var orthanc = new OrthancPeer(modalities: new Dictionary<string, (string, int)> { ["gateway"] = ("GATEWAY", scpPort) },
            settings: new Dictionary<string, object> { ["AcceptedTransferSyntaxes"] = new[] { DicomUids.JPEGBaseline8Bit } });
        var destination = $$"""{ "name": "orthanc", "aeTitle": "{{orthanc.AeTitle}}", "host": "127.0.0.1", "port": {{orthanc.DicomPort.ToString(CultureInfo.InvariantCulture)}}, "retryMinSeconds": 1, "retryMaxSeconds": 4, "transferSyntaxes": ["jpeg-baseline"], "allowLossy": true, "jpegQuality": 80, "commitment": { "sameAssociationSeconds": 0 } }""";
        using var gateway = new GatewayProcess(dir.Path, scpPort, destination);
        gateway.Start();
        var source = Source(dir, 8, 8, "grey8.dcm");
        var original = DicomFile.Open(source).Dataset.GetString(DicomTags.SOPInstanceUID);
        var send = GatewayExecutable.Run(["send", source, "--to", $"127.0.0.1:{gateway.ScpPort}", "--called", "GATEWAY"]);
        Assert.True(send.ExitCode == 0, send.All);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        const string Report = @"Commitment report from orthanc \(transaction 2\.25\.\d+\): 1 committed, 0 failed";
        // The report's line is logged after the entry left the spool, and read from the pipe later still: waited for too.
        while ((orthanc.Instances().Count == 0 || gateway.SpoolEntries > 0 || !Regex.IsMatch(gateway.AllOutput, Report)) && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        Assert.True(gateway.SpoolEntries == 0, "not committed\n" + gateway.AllOutput);
        var (uid, id) = Assert.Single(orthanc.InstancesBySopInstanceUid());
        var derived = LossyDerivation.DerivedUid(original, DicomTransferSyntax.JpegBaseline, CodecOptions.Default with { Quality = 80 });
        Assert.Equal(derived, uid);
        var stored = DicomFile.Read(new MemoryStream(orthanc.File(id)));
        Assert.Equal(DicomUids.JPEGBaseline8Bit, stored.TransferSyntax.Uid);
        Assert.Equal("01", stored.Dataset.GetString(DicomTags.LossyImageCompression));
        Assert.Matches(Report, gateway.AllOutput);
        var file = dir.File("arrived.dcm");
        File.WriteAllBytes(file, orthanc.File(id));
        Assert.Empty(Dciodvfy.Errors(file));
    }
}
