using Gateway.Acquisition.Forwarding;
using Gateway.Dicom;
using Gateway.Dicom.Codecs;
using Gateway.Dicom.Imaging;
using Gateway.Dicom.Iod;
using Gateway.Dicom.Network;
using Gateway.Spool;
using Gateway.Testing;
using Xunit;

namespace Gateway.Acquisition.Tests;

/// <summary>
/// Issue #19: the forwarder proposes the stored syntax, then the destination's list, and transcodes on the way when the
/// PACS accepts only another one — judged by dcmtk's storescp restricted to one syntax (an association negotiation
/// profile), dcmtk's decoders, pydicom with GDCM and dciodvfy.
/// </summary>
public sealed class ForwarderTranscodingTests : IDisposable
{
    private readonly TempDirectory _dir = new("transcoding");

    public void Dispose() => _dir.Dispose();

    private DurableSpool NewSpool()
    {
        var spool = new DurableSpool(new SpoolOptions { Directory = Path.Combine(_dir.Path, "spool"), MinFreeBytes = 0 });
        spool.Recover();
        return spool;
    }

    /// <summary>A Secondary Capture image with structure and noise (so that every codec has work), and its native pixels.</summary>
    private static (DicomDataset Dataset, byte[] Pixels) Image(int bits, int stored, int columns = 97, int rows = 61)
    {
        var format = new ImageFormat(columns, rows, 1, bits, stored);
        var pixels = new byte[format.FrameLength];
        var random = new Random(19);
        var max = (1 << stored) - 1;
        for (var i = 0; i < columns * rows; i++)
        {
            var v = Math.Clamp((i % columns) * max / columns / 2 + (i / columns) * max / rows / 2 + random.Next(-max / 20, max / 20 + 1), 0, max);
            if (bits == 8)
                pixels[i] = (byte)v;
            else
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(pixels.AsSpan(2 * i), (ushort)v);
        }
        var ds = new IodBuilder().Build(IodKind.SecondaryCapture, [new Frame(format, DicomBuffer.From(pixels))], new DicomDataset(),
            new SeriesContext(DicomUidGenerator.Default).NextInstance());
        return (ds, pixels);
    }

    /// <summary>Spools <paramref name="ds"/> stored in <paramref name="stored"/>; returns the entry.</summary>
    private SpoolEntry Spool(DurableSpool spool, DicomDataset ds, DicomTransferSyntax stored)
    {
        var uid = ds.GetString(DicomTags.SOPInstanceUID);
        var file = _dir.File(uid + ".dcm");
        new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Transcode(stored).Save(file);
        spool.Enqueue(file, new SpoolObjectInfo(ds.GetString(DicomTags.SOPClassUID), uid, "OT", "test"), ["PACS"]);
        return spool.Entries.Single(e => e.SopInstanceUid == uid);
    }

    /// <summary>storescp that accepts Secondary Capture in <paramref name="dcmtkSyntax"/> only (its name in dcmtk's storescp.cfg).</summary>
    private DcmtkStoreScp StoreScpAccepting(string dcmtkSyntax, string sopClass = "SecondaryCaptureImageStorage") =>
        new(extraArgs: StoreScpNegotiation.AcceptingOnly(_dir.Path, dcmtkSyntax, sopClass));

    private static Destination To(DcmtkStoreScp scp, TranscodePolicy policy) => new()
    {
        Name = "PACS",
        Client = new DicomClientOptions { Host = "127.0.0.1", Port = scp.Port, CalledAE = scp.AeTitle, ConnectTimeout = TimeSpan.FromSeconds(2) },
        RetryMin = TimeSpan.FromMilliseconds(200),
        RetryMax = TimeSpan.FromSeconds(1),
        IdleRelease = TimeSpan.FromMilliseconds(500),
        Transcoding = policy,
    };

    /// <summary>Runs a forwarder until no entry is pending (delivered, dead or quarantined).</summary>
    private static async Task Forward(DurableSpool spool, Destination destination)
    {
        using var forwarder = new Forwarder(spool, [destination]);
        using var stop = new CancellationTokenSource();
        var run = forwarder.RunAsync(stop.Token);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (spool.Entries.Any(e => e.Deliveries["PACS"].State == DeliveryState.Pending))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("still pending: " + string.Join("; ", spool.Entries.Select(e => e.Deliveries["PACS"].LastError)));
            await Task.Delay(50);
        }
        await stop.CancelAsync();
        await run;
    }

    private static byte[] NativePixels(string path) =>
        PixelDataTranscoder.ReadFrame(DicomFile.Open(path).Dataset, DicomFile.OpenHeader(path).TransferSyntax, 0);

    /// <summary>pydicom + GDCM's decoding of a file's first frame, little endian.</summary>
    private static byte[] PydicomGdcm(string path)
    {
        var output = path + ".raw";
        var script = """
            import sys, warnings
            warnings.simplefilter("ignore")
            sys.path.insert(0, "/usr/lib/python3/dist-packages")
            import pydicom
            from pydicom.pixel_data_handlers import gdcm_handler, rle_handler
            if not gdcm_handler.is_available():
                sys.exit("GDCM is missing: install Debian package python3-gdcm")
            pydicom.config.pixel_data_handlers = [gdcm_handler, rle_handler]
            arr = pydicom.dcmread(sys.argv[1]).pixel_array
            open(sys.argv[2], "wb").write(arr.astype(arr.dtype.newbyteorder("<")).tobytes())
            """;
        var r = ProcessRunner.Run(Peers.RequirePydicom(), ["-c", script, path, output], TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 0, $"pydicom/GDCM could not decode {path}: {r.All}");
        return File.ReadAllBytes(output);
    }

    [Theory]
    [InlineData("rle")]
    [InlineData("jpeg-lossless")]
    [InlineData("jpeg-ls")]
    public async Task A_destination_that_accepts_only_Explicit_VR_LE_receives_the_object_decompressed_bit_exact(string storedName)
    {
        Assert.True(TransferSyntaxNames.TryParse(storedName, out var stored));
        using var scp = StoreScpAccepting("LocalEndianExplicit");
        var spool = NewSpool();
        var (ds, pixels) = Image(16, 12);
        var entry = Spool(spool, ds, stored);
        Assert.Equal(stored.Uid, DicomFile.OpenHeader(spool.PayloadPath(entry.Id)).TransferSyntax.Uid); // the spool holds it compressed

        await Forward(spool, To(scp, TranscodePolicy.Default));

        Assert.Empty(spool.Entries);
        var received = Assert.Single(scp.ReceivedFiles);
        var file = DicomFile.Open(received);
        Assert.Equal(DicomUids.ExplicitVRLittleEndian, file.TransferSyntax.Uid);
        Assert.Equal(entry.SopInstanceUid, file.Dataset.GetString(DicomTags.SOPInstanceUID)); // lossless: the same instance
        Assert.Equal("00", file.Dataset.TryGetString(DicomTags.LossyImageCompression)); // as built: never lossy
        Assert.Equal(pixels, file.Dataset.Find(DicomTags.PixelData) is DicomElement e ? e.Buffer.Memory.ToArray()[..pixels.Length] : null);
        Assert.Empty(Dciodvfy.Errors(received));
    }

    [Fact]
    public async Task A_destination_that_accepts_only_JPEG_LS_lossless_receives_ours_which_dcmtk_and_pydicom_decode_bit_exact()
    {
        using var scp = StoreScpAccepting("JPEGLSLossless");
        var spool = NewSpool();
        var (ds, pixels) = Image(16, 12);
        var entry = Spool(spool, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
        var policy = TranscodePolicy.Default with { Preferences = [DicomTransferSyntax.JpegLsLossless, DicomTransferSyntax.ExplicitVRLittleEndian] };

        await Forward(spool, To(scp, policy));

        Assert.Empty(spool.Entries);
        var received = Assert.Single(scp.ReceivedFiles);
        Assert.Equal(DicomUids.JPEGLSLossless, DicomFile.OpenHeader(received).TransferSyntax.Uid);
        Assert.Equal(entry.SopInstanceUid, DicomFile.Open(received).Dataset.GetString(DicomTags.SOPInstanceUID));
        Assert.Empty(Dciodvfy.Errors(received));
        var decoded = _dir.File("dcmdjpls.dcm");
        var r = ProcessRunner.Run(Peers.Require("dcmdjpls", "dcmtk"), [received, decoded], TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal(pixels, NativePixels(decoded));
        Assert.Equal(pixels, PydicomGdcm(received));
    }

    /// <summary>A 30-frame 12-bit cine (Multi-frame Grayscale Word SC), and its native pixels.</summary>
    private static (DicomDataset Dataset, byte[] Pixels) Cine()
    {
        var format = new ImageFormat(160, 120, 1, 16, 12);
        var pixels = new byte[30 * format.FrameLength];
        var random = new Random(30);
        for (var i = 0; i < pixels.Length / 2; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(pixels.AsSpan(2 * i), (ushort)Math.Clamp((i % 160) * 20 + (i / 19200) * 50 + random.Next(-40, 41), 0, 4095));
        var frames = Enumerable.Range(0, 30).Select(f => new Frame(format, DicomBuffer.From(pixels.AsMemory((int)(f * format.FrameLength), (int)format.FrameLength)))).ToList();
        var ds = new IodBuilder().Build(IodKind.MultiFrameGrayscaleWord, frames, new DicomDataset(), new SeriesContext(DicomUidGenerator.Default).NextInstance());
        return (ds, pixels);
    }

    [Theory]
    [InlineData("jpeg-ls", "LocalEndianExplicit")]
    [InlineData("explicit", "JPEGLSLossless")]
    public async Task A_30_frame_cine_is_transcoded_on_the_way_frame_by_frame_every_frame_bit_exact_and_no_scratch_file_is_left(string storedName, string accepted)
    {
        Assert.True(TransferSyntaxNames.TryParse(storedName, out var stored));
        using var scp = StoreScpAccepting(accepted, "MultiframeGrayscaleWordSecondaryCaptureImageStorage");
        var spool = NewSpool();
        var (ds, pixels) = Cine();
        var entry = Spool(spool, ds, stored);
        var policy = TranscodePolicy.Default with { Preferences = [DicomTransferSyntax.JpegLsLossless, DicomTransferSyntax.ExplicitVRLittleEndian] };

        await Forward(spool, To(scp, policy));

        Assert.Empty(spool.Entries);
        var received = Assert.Single(scp.ReceivedFiles);
        Assert.Equal(entry.SopInstanceUid, DicomFile.Open(received).Dataset.GetString(DicomTags.SOPInstanceUID));
        Assert.Empty(Dciodvfy.Errors(received));
        // Every frame, decoded by dcmtk when it is ours to decode (JPEG-LS), else read as sent.
        var native = received;
        if (accepted == "JPEGLSLossless")
        {
            native = _dir.File("cine-dcmdjpls.dcm");
            var r = ProcessRunner.Run(Peers.Require("dcmdjpls", "dcmtk"), [received, native], TimeSpan.FromMinutes(1));
            Assert.True(r.ExitCode == 0, r.All);
        }
        var file = DicomFile.Open(native);
        Assert.Equal(DicomUids.ExplicitVRLittleEndian, file.TransferSyntax.Uid);
        Assert.Equal(pixels, file.Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray()[..pixels.Length]);
        Assert.Empty(Directory.GetFiles(spool.TempDir, "transcode.*")); // the scratch file had no name: nothing was left
    }

    /// <summary>
    /// The service's watchdog is fed only while every worker shows a sign of life (180 s by default), and a transcode on
    /// the way now takes objects up to 4 GiB: it must say it is alive for every frame it transcodes and for every batch
    /// it sends, as the untranscoded send does — not only before and after the transcode.
    /// </summary>
    [Theory]
    [InlineData("jpeg-ls", "LocalEndianExplicit")]
    [InlineData("explicit", "JPEGLSLossless")]
    public async Task A_transcode_on_the_way_shows_a_sign_of_life_for_every_frame_and_while_it_sends(string storedName, string accepted)
    {
        Assert.True(TransferSyntaxNames.TryParse(storedName, out var stored));
        using var scp = StoreScpAccepting(accepted, "MultiframeGrayscaleWordSecondaryCaptureImageStorage");
        var spool = NewSpool();
        var (ds, _) = Cine();
        var entry = Spool(spool, ds, stored);
        var policy = TranscodePolicy.Default with { Preferences = [DicomTransferSyntax.JpegLsLossless, DicomTransferSyntax.ExplicitVRLittleEndian] };
        await using var sender = new DicomObjectSender(To(scp, policy).Client, policy, spool.TempDir);
        var beats = 0;

        var outcome = await sender.SendAsync(spool.PayloadPath(entry.Id), entry.SopClassUid, entry.Sha256, () => beats++, CancellationToken.None);

        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        // 30 frames, at least one batch of PDUs sent, and the two around the transcode.
        Assert.True(beats >= 30 + 1 + 2, $"{beats} signs of life for a transcode of 30 frames and its send");
    }

    /// <summary>
    /// The spooled file is hashed, parsed and read frame by frame through one open of it: a payload moved away after its
    /// checksum was checked (another destination's worker quarantining the entry) is still the file transcoded — every
    /// frame of the one verified — and nothing is read by its name again.
    /// </summary>
    [Fact]
    public async Task A_payload_moved_away_during_its_transcode_is_still_the_file_that_was_checked_and_is_sent_whole()
    {
        using var scp = StoreScpAccepting("JPEGLSLossless", "MultiframeGrayscaleWordSecondaryCaptureImageStorage");
        var spool = NewSpool();
        var (ds, pixels) = Cine();
        var entry = Spool(spool, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
        var policy = TranscodePolicy.Default with { Preferences = [DicomTransferSyntax.JpegLsLossless, DicomTransferSyntax.ExplicitVRLittleEndian] };
        await using var sender = new DicomObjectSender(To(scp, policy).Client, policy, spool.TempDir);
        var payload = spool.PayloadPath(entry.Id);
        var moved = false;

        var outcome = await sender.SendAsync(payload, entry.SopClassUid, entry.Sha256, () =>
        {
            if (!moved && File.Exists(payload))
            {
                File.Move(payload, payload + ".elsewhere"); // at the first sign of life: during the checksum pass
                moved = true;
            }
        }, CancellationToken.None);

        Assert.True(moved);
        Assert.True(outcome.Kind == OutcomeKind.Delivered, $"{outcome.Kind}: {outcome.Detail}");
        var decoded = _dir.File("moved-dcmdjpls.dcm");
        var r = ProcessRunner.Run(Peers.Require("dcmdjpls", "dcmtk"), [Assert.Single(scp.ReceivedFiles), decoded], TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal(pixels, DicomFile.Open(decoded).Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray()[..pixels.Length]);
    }

    /// <summary>
    /// A transcoded object whose send fails half-way for a reason that is not the network's — here a large private
    /// value that the transcode shares with the spooled file and that is read from it while sent, the payload having
    /// been cut short under it (a damaged card) — is aborted, and the sender must not then offer that dead
    /// association to the next object: the next object is delivered, not failed as "aborted".
    /// </summary>
    [Fact]
    public async Task After_a_transcoded_send_fails_half_way_the_next_object_gets_a_new_association()
    {
        using var scp = StoreScpAccepting("JPEGLSLossless", "MultiframeGrayscaleWordSecondaryCaptureImageStorage");
        var spool = NewSpool();
        var (ds, _) = Cine();
        // After the pixel data (written in tag order), and larger than the parser's lazy threshold: read while sent.
        ds.Set(new DicomTag(0x7FE1, 0x0010), DicomVR.LO, "GATEWAY TEST");
        ds.SetBytes(new DicomTag(0x7FE1, 0x1010), DicomVR.OB, DicomBuffer.From(new byte[200_000]));
        var first = Spool(spool, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
        var second = Spool(spool, Cine().Dataset, DicomTransferSyntax.ExplicitVRLittleEndian);
        var policy = TranscodePolicy.Default with { Preferences = [DicomTransferSyntax.JpegLsLossless, DicomTransferSyntax.ExplicitVRLittleEndian] };
        await using var sender = new DicomObjectSender(To(scp, policy).Client, policy, spool.TempDir);
        var payload = spool.PayloadPath(first.Id);
        var hashed = (int)((new FileInfo(payload).Length + (1 << 18) - 1) >> 18);
        var beats = 0;
        void CutShortOnceSending()
        {
            // The checksum pass, the beat after it, one per frame, the beat after the transcode: then the send's batches.
            if (++beats == hashed + 1 + 30 + 1 + 1)
            {
                using var f = new FileStream(payload, FileMode.Open, FileAccess.Write);
                f.SetLength(f.Length - 100_000);
            }
        }

        await Assert.ThrowsAnyAsync<IOException>(() => sender.SendAsync(payload, first.SopClassUid, first.Sha256, CutShortOnceSending, CancellationToken.None));
        Assert.True(beats > hashed + 1 + 30 + 1, $"{beats} beats: the send never started");
        var outcome = await sender.SendAsync(spool.PayloadPath(second.Id), second.SopClassUid, second.Sha256, () => { }, CancellationToken.None);

        Assert.True(outcome.Kind == OutcomeKind.Delivered, $"{outcome.Kind}: {outcome.Detail}");
        Assert.Single(scp.ReceivedFiles);
    }

    [Fact]
    public async Task A_transcode_that_would_eat_into_the_spools_reserve_waits_saying_so_and_one_that_never_fits_is_a_dead_letter()
    {
        using var scp = StoreScpAccepting("JPEGLSLossless", "MultiframeGrayscaleWordSecondaryCaptureImageStorage");
        var spool = NewSpool();
        var (ds, _) = Cine();
        var entry = Spool(spool, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
        var policy = TranscodePolicy.Default with { Preferences = [DicomTransferSyntax.JpegLsLossless] };

        // A reserve 100 MiB above what is free now: as if the card were nearly full. The disk frees as the spool drains.
        var reserve = new DriveInfo(Path.GetFullPath(spool.TempDir)).AvailableFreeSpace + (100L << 20);
        await using (var sender = new DicomObjectSender(To(scp, policy).Client, policy, spool.TempDir, reserve))
        {
            var outcome = await sender.SendAsync(spool.PayloadPath(entry.Id), entry.SopClassUid, entry.Sha256, () => { }, CancellationToken.None);
            Assert.Equal(OutcomeKind.Transient, outcome.Kind);
            Assert.StartsWith("not sent yet: the destination accepted only ", outcome.Detail, StringComparison.Ordinal);
            Assert.Contains(", and transcoding it here needs up to 2 MiB on the spool's disk beside the spool's reserve of ", outcome.Detail, StringComparison.Ordinal);
            Assert.EndsWith(" MiB are free", outcome.Detail, StringComparison.Ordinal);
        }

        // A reserve larger than the whole disk: it would wait for ever, so it is a dead letter saying why.
        await using (var sender = new DicomObjectSender(To(scp, policy).Client, policy, spool.TempDir, long.MaxValue / 4))
        {
            var outcome = await sender.SendAsync(spool.PayloadPath(entry.Id), entry.SopClassUid, entry.Sha256, () => { }, CancellationToken.None);
            Assert.Equal(OutcomeKind.Permanent, outcome.Kind);
            Assert.Contains("more than the whole disk", outcome.Detail, StringComparison.Ordinal);
        }
        Assert.Empty(scp.ReceivedFiles);
        Assert.Empty(Directory.GetFiles(spool.TempDir, "transcode.*"));
    }

    [Fact]
    public async Task A_JPEG_baseline_only_destination_without_allowLossy_gets_nothing_and_the_entry_is_a_dead_letter_saying_why()
    {
        using var scp = StoreScpAccepting("JPEGBaseline");
        var spool = NewSpool();
        var (ds, _) = Image(8, 8);
        Spool(spool, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
        // Listed but not allowed: the configuration validator refuses that; the policy itself never proposes it.
        var policy = TranscodePolicy.Default with { Preferences = [DicomTransferSyntax.JpegBaseline, DicomTransferSyntax.ExplicitVRLittleEndian] };

        await Forward(spool, To(scp, policy));

        var delivery = spool.Entries.Single().Deliveries["PACS"];
        Assert.Equal(DeliveryState.Dead, delivery.State);
        Assert.Contains("lossy syntaxes are not proposed: allowLossy is false", delivery.LastError, StringComparison.Ordinal);
        Assert.Empty(scp.ReceivedFiles);
    }

    [Fact]
    public async Task A_JPEG_baseline_only_destination_with_allowLossy_gets_a_new_instance_marked_lossy_and_the_same_one_on_every_retry()
    {
        using var scp = StoreScpAccepting("JPEGBaseline");
        var spool = NewSpool();
        var (ds, _) = Image(8, 8);
        var entry = Spool(spool, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
        var policy = TranscodePolicy.Default with { Preferences = [DicomTransferSyntax.JpegBaseline], AllowLossy = true };
        var payload = _dir.File("payload-copy.dcm");
        File.Copy(spool.PayloadPath(entry.Id), payload);

        await Forward(spool, To(scp, policy));

        Assert.Empty(spool.Entries);
        var received = Assert.Single(scp.ReceivedFiles);
        var first = DicomFile.Open(received).Dataset;
        Assert.Equal(DicomUids.JPEGBaseline8Bit, DicomFile.OpenHeader(received).TransferSyntax.Uid);
        Assert.Equal("01", first.GetString(DicomTags.LossyImageCompression));
        Assert.Equal("ISO_10918_1", first.GetString(DicomTags.LossyImageCompressionMethod));
        var sent = first.GetString(DicomTags.SOPInstanceUID);
        Assert.NotEqual(entry.SopInstanceUid, sent);
        Assert.Equal(LossyDerivation.DerivedUid(entry.SopInstanceUid, DicomTransferSyntax.JpegBaseline, policy.Codec), sent);
        var source = Assert.IsType<DicomSequence>(first.Find(DicomTags.SourceImageSequence)).Items.Single();
        Assert.Equal(entry.SopInstanceUid, source.GetString(DicomTags.ReferencedSOPInstanceUID));
        Assert.Empty(Dciodvfy.Errors(received));
        var firstBytes = File.ReadAllBytes(received);
        File.Delete(received);

        // A retry (here: a new sender, as after a restart) sends the identical instance, byte for byte.
        await using (var sender = new DicomObjectSender(To(scp, policy).Client, policy))
        {
            var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(payload)));
            var outcome = await sender.SendAsync(payload, entry.SopClassUid, sha, () => { }, CancellationToken.None);
            Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
            Assert.Equal(sent, outcome.SentSopInstanceUid);
        }
        var again = Assert.Single(scp.ReceivedFiles);
        Assert.Equal(firstBytes, File.ReadAllBytes(again));
    }

    [Fact]
    public async Task A_payload_that_fails_its_checksum_is_quarantined_before_a_transcode_sends_anything()
    {
        using var scp = StoreScpAccepting("JPEGLSLossless");
        var spool = NewSpool();
        var (ds, _) = Image(16, 12);
        var entry = Spool(spool, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
        var path = spool.PayloadPath(entry.Id);
        var bytes = File.ReadAllBytes(path);
        bytes[^100] ^= 0x10; // a pixel, deep in the file
        File.WriteAllBytes(path, bytes);
        var quarantined = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        spool.Changed += e =>
        {
            if (e.Kind == SpoolEvent.Quarantined)
                quarantined.TrySetResult(e.Detail ?? "");
        };
        var policy = TranscodePolicy.Default with { Preferences = [DicomTransferSyntax.JpegLsLossless] };

        await Forward(spool, To(scp, policy));

        Assert.StartsWith("checksum mismatch: stored ", await quarantined.Task.WaitAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
        Assert.Empty(spool.Entries);
        Assert.True(File.Exists(Path.Combine(spool.QuarantineDir, Path.GetFileName(path))));
        Assert.Empty(scp.ReceivedFiles);
    }

    [Fact]
    public async Task A_corrupt_codestream_is_a_dead_letter_naming_the_frame_and_nothing_is_sent()
    {
        using var scp = StoreScpAccepting("LocalEndianExplicit");
        var spool = NewSpool();
        var (ds, _) = Image(16, 12);
        var compressed = new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Transcode(DicomTransferSyntax.JpegLsLossless);
        var fragment = Assert.IsType<DicomFragmentSequence>(compressed.Dataset.Find(DicomTags.PixelData)).Fragments[0].Memory.ToArray();
        // Keep the markers, garble the scan: a stream that ends early and holds nonsense.
        var garbled = fragment[..(fragment.Length / 3)].Concat(Enumerable.Repeat((byte)0xA5, 7)).Concat(new byte[] { 0xFF, 0xD9 }).ToArray();
        var broken = new DicomDataset(compressed.Dataset.Where(i => i.Tag != DicomTags.PixelData));
        broken.AddOrUpdate(new DicomFragmentSequence(DicomTags.PixelData, DicomVR.OB, DicomBuffer.Empty, [DicomBuffer.From(garbled.Length % 2 == 0 ? garbled : [.. garbled, 0])]));
        var uid = ds.GetString(DicomTags.SOPInstanceUID);
        var file = _dir.File("broken.dcm");
        new DicomFile(broken, DicomTransferSyntax.JpegLsLossless).Save(file);
        spool.Enqueue(file, new SpoolObjectInfo(DicomUids.SecondaryCaptureImageStorage, uid, "OT", "test"), ["PACS"]);

        await Forward(spool, To(scp, TranscodePolicy.Default));

        var delivery = spool.Entries.Single().Deliveries["PACS"];
        Assert.Equal(DeliveryState.Dead, delivery.State);
        Assert.Contains("transcoding JPEG-LS Lossless", delivery.LastError, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("frame 1", delivery.LastError, StringComparison.Ordinal);
        Assert.Empty(scp.ReceivedFiles);
    }
}
