using Gateway.Dicom.Imaging;
using Gateway.Hardware.Framing;
using Gateway.Hardware.Profiles;
using Gateway.Hardware.Simulation;

using Xunit;

namespace Gateway.Hardware.Tests;

public sealed class FrameDecoderTests
{
    private static readonly FrameFormat Detector = new(Profiles.Load("fpd-1417-usb").Frames!);
    private static readonly FrameFormat Endoscope = new(Profiles.Load("endoscope-footswitch").Frames!);

    private static List<FrameEvent> Decode(FrameFormat f, IEnumerable<byte[]> chunks)
    {
        var decoder = new FrameDecoder(f);
        var events = new List<FrameEvent>();
        foreach (var c in chunks)
            decoder.Feed(c, events);
        return events;
    }

    private static string Describe(IEnumerable<FrameEvent> events) => string.Join("; ", events.Select(e => e switch
    {
        FrameReceived r => $"frame {r.Frame.FrameNumber} {r.Frame.Format} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(r.Frame.Pixels))} {string.Join(",", r.Frame.Values)}",
        FrameRejected j => $"{j.Fault} {j.FrameNumber}: {j.Reason}",
        _ => "?",
    }));

    private static byte[] Frame(FrameFormat f, ImageFormat image, int number, Dictionary<string, double>? values = null) =>
        FrameEncoder.Encode(f, image, DeviceSimulator.Pixels(image, number), number, values);

    [Fact]
    public void A_stream_with_noise_and_a_corrupt_frame_decodes_the_same_split_at_every_byte_boundary()
    {
        var image = new ImageFormat(7, 5, 1, 16, 14);
        var values = new Dictionary<string, double> { ["kv10"] = 705, ["exposureUas"] = 3200 };
        var corrupt = Frame(Detector, image, 2, values);
        corrupt[^10] ^= 0xFF;
        // Noise that contains the first bytes of the sync word, and a whole false sync word with a garbage header.
        byte[] stream = [0x00, 0xA5, 0x5A, 0x13, .. Frame(Detector, image, 1, values), 0xA5, 0xA5, 0x5A, 0x5A, 0xA5, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            .. corrupt, .. Frame(Detector, image, 3, values), 0x42];
        var events = Decode(Detector, [stream]);
        var whole = Describe(events);
        Assert.Contains("frame 1 7×5, 1 sample(s) of 14/16 bits", whole, StringComparison.Ordinal);
        Assert.Contains("DeviceValue { Keyword = KVP, Value = 70.5 }", whole, StringComparison.Ordinal);
        Assert.Contains("Checksum 2:", whole, StringComparison.Ordinal);
        Assert.Contains("frame 3 ", whole, StringComparison.Ordinal);
        Assert.True(events.Count == 4, whole); // frame 1, the false sync's header, frame 2's checksum, frame 3
        Assert.Contains("Header 4294967295: header announces 65535×65535 pixels", whole, StringComparison.Ordinal); // frame 1, the false sync's header, frame 2's checksum, frame 3
        for (var split = 1; split < stream.Length; split++)
            Assert.Equal(whole, Describe(Decode(Detector, [stream[..split], stream[split..]])));
        Assert.Equal(whole, Describe(Decode(Detector, stream.Select(b => new[] { b }))));
    }

    [Fact]
    public void The_pixels_come_out_as_they_went_in_also_from_a_big_endian_device()
    {
        var rgb = new ImageFormat(640, 480, 3, 8, 8);
        var frame = Assert.IsType<FrameReceived>(Assert.Single(Decode(Endoscope, [Frame(Endoscope, rgb, 9)])));
        Assert.Equal(DeviceSimulator.Pixels(rgb, 9), frame.Frame.Pixels);
        Assert.Equal(9, frame.Frame.FrameNumber);

        var bigEndian = new FrameFormat(Profiles.Load("fpd-1417-usb").Frames! with { PixelEndian = "big" });
        var grey = new ImageFormat(3, 2, 1, 16, 16);
        var bytes = Frame(bigEndian, grey, 1);
        var pixels = DeviceSimulator.Pixels(grey, 1);
        Assert.Equal(pixels[1], bytes[4 + 24]); // on the wire: high byte first
        Assert.Equal(pixels, Assert.IsType<FrameReceived>(Assert.Single(Decode(bigEndian, [bytes]))).Frame.Pixels);
    }

    [Theory]
    [InlineData(65_535, 65_535, 14, 1, "65535×65535 pixels")]
    [InlineData(4096, 4096, 16, 1, "33554432-byte payload")]
    [InlineData(100, 100, 17, 1, "17 bits per sample")]
    [InlineData(100, 100, 12, 2, "2 samples per pixel")]
    [InlineData(100, 100, 12, 3, "RGB with 12 bits")]
    public void An_impossible_header_is_rejected_before_its_payload_is_allocated(int width, int height, int bits, int samples, string reason)
    {
        // A detector whose limit is 16 MiB (the shipped profile allows 32 MiB).
        var limited = new FrameFormat(Detector.Settings with { MaxPayloadBytes = 16 << 20 });
        var header = new byte[4 + 24];
        Detector.Sync.CopyTo(header, 0);
        var h = header.AsSpan(4);
        Detector.Field("width")!.Write(h, width);
        Detector.Field("height")!.Write(h, height);
        Detector.Field("bitsStored")!.Write(h, bits);
        Detector.Field("samples")!.Write(h, samples);
        Detector.Field("payloadLength")!.Write(h, (double)width * height * samples * 2);
        var decoder = new FrameDecoder(limited);
        var events = new List<FrameEvent>();
        var before = GC.GetAllocatedBytesForCurrentThread();
        decoder.Feed(header, events);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024, "the decoder allocated for a frame it rejected");
        var rejected = Assert.IsType<FrameRejected>(Assert.Single(events));
        Assert.Equal(FrameFault.Header, rejected.Fault);
        Assert.Contains(reason, rejected.Reason, StringComparison.Ordinal);
        Assert.False(decoder.InFrame);
    }

    [Fact]
    public void A_payload_length_that_disagrees_with_the_dimensions_is_rejected()
    {
        var bytes = Frame(Detector, new ImageFormat(8, 8, 1, 16, 12), 1);
        Detector.Field("payloadLength")!.Write(bytes.AsSpan(4), 100);
        var rejected = Assert.IsType<FrameRejected>(Decode(Detector, [bytes])[0]);
        Assert.Contains("header says the payload is 100 bytes, but 8×8×1 samples of 16 bits are 128", rejected.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_frame_that_stops_half_way_is_abandoned_and_the_next_one_decodes()
    {
        var image = new ImageFormat(16, 16, 1, 16, 12);
        var first = Frame(Detector, image, 1);
        var decoder = new FrameDecoder(Detector);
        var events = new List<FrameEvent>();
        decoder.Feed(first.AsSpan(0, first.Length / 2), events);
        Assert.True(decoder.InFrame);
        decoder.Abandon(events);
        decoder.Feed(Frame(Detector, image, 2), events);
        Assert.Equal(FrameFault.Abandoned, Assert.IsType<FrameRejected>(events[0]).Fault);
        Assert.Equal(2, Assert.IsType<FrameReceived>(events[1]).Frame.FrameNumber);
        Assert.Equal(1, decoder.Stats.Abandoned);
        Assert.Equal(1, decoder.Stats.Frames);
    }

    [Fact]
    public void Random_line_noise_never_makes_a_frame_and_never_throws()
    {
        var random = new Random(3);
        var noise = new byte[2_000_000];
        random.NextBytes(noise);
        foreach (var f in new[] { Detector, Endoscope })
        {
            var decoder = new FrameDecoder(f);
            var events = new List<FrameEvent>();
            for (var offset = 0; offset < noise.Length; offset += 4096)
                decoder.Feed(noise.AsSpan(offset, Math.Min(4096, noise.Length - offset)), events);
            Assert.DoesNotContain(events, e => e is FrameReceived);
        }
    }
}
