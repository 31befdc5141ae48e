using System.Text.Json.Nodes;
using Gateway.Hardware.Profiles;
using Xunit;

namespace Gateway.Hardware.Tests;

public sealed class ProfileValidationTests
{
    [Theory]
    [InlineData("fpd-1417-usb")]
    [InlineData("legacy-xray-rs232")]
    [InlineData("endoscope-footswitch")]
    [InlineData("endoscopy-video")]
    public void The_shipped_profiles_are_valid(string name) => Assert.Empty(ProfileLoader.Validate(Profiles.Load(name)));

    /// <summary>One malformed field at a time: the message names exactly that field.</summary>
    [Theory]
    [InlineData("fpd-1417-usb", "serial.baud", 13000000, "serial.baud: 13000000 is not between 1 and 12000000")]
    [InlineData("fpd-1417-usb", "serial.parity", "sometimes", "serial.parity: 'sometimes' is not none, odd, even, mark or space")]
    [InlineData("fpd-1417-usb", "serial.stopBits", "3", "serial.stopBits: '3' is not 1, 1.5 or 2")]
    [InlineData("fpd-1417-usb", "serial.handshake", "dtr", "serial.handshake: 'dtr' is not none, rts-cts or xon-xoff")]
    [InlineData("fpd-1417-usb", "serial.handshake", "xon-xoff", "serial.handshake: xon-xoff cannot carry binary frames")]
    [InlineData("fpd-1417-usb", "serial.device", "", "serial.device: is empty")]
    [InlineData("fpd-1417-usb", "frames.sync", "A5 5G", "frames.sync: 'A5 5G' is not 1 to 16 bytes of hex")]
    [InlineData("fpd-1417-usb", "frames.header.fields.1.type", "u24", "frames.header.fields[1].type: 'u24' is not one of u8, u16, u32, i16, i32, f32")]
    [InlineData("fpd-1417-usb", "frames.header.fields.2.offset", 23, "frames.header.fields[2].offset: 23 + 2 byte(s) does not fit in the 24-byte header")]
    [InlineData("fpd-1417-usb", "frames.header.fields.6.keyword", "Kvp", "frames.header.fields[6].keyword: 'Kvp' is not a DICOM keyword")]
    [InlineData("fpd-1417-usb", "frames.header.fields.6.keyword", "Rows", "frames.header.fields[6].keyword: Rows is derived from the image")]
    [InlineData("fpd-1417-usb", "frames.header.fields.0.name", "counter", "frames.header.fields[0].name: 'counter' is not one of width, height")]
    [InlineData("fpd-1417-usb", "frames.header.fields.0.name", "height", "frames.header.fields[2].name: 'height' is declared twice")]
    [InlineData("fpd-1417-usb", "frames.checksum.type", "md5", "frames.checksum.type: 'md5' is not none, sum8, crc16-ccitt or crc32")]
    [InlineData("fpd-1417-usb", "frames.checksum.covers", "everything", "frames.checksum.covers: 'everything' is not payload")]
    [InlineData("fpd-1417-usb", "frames.maxPayloadBytes", 0, "frames.maxPayloadBytes: 0 is not between 1")]
    [InlineData("fpd-1417-usb", "frames.ack", "ACK", "frames.ack: 'ACK' is not hex")]
    [InlineData("fpd-1417-usb", "frames.byteTimeoutMs", 1, "frames.byteTimeoutMs: 1 is not between 10 and 600000")]
    [InlineData("fpd-1417-usb", "gpio.inputs.0.edge", "both", "gpio.inputs[0].edge: 'both' is not rising or falling")]
    [InlineData("fpd-1417-usb", "gpio.inputs.0.action", "explode", "gpio.inputs[0].action: 'explode' is not capture, clip, end-series or end-exam")]
    [InlineData("endoscopy-video", "video.source", "usb0", "video.source: 'usb0' is not 'test' or 'v4l2:/dev/videoN'")]
    [InlineData("endoscopy-video", "video.source", "v4l2:/etc/passwd", "video.source: 'v4l2:/etc/passwd' is not a device under /dev")]
    [InlineData("endoscopy-video", "video.size", "1280*720", "video.size: '1280*720' is not WIDTHxHEIGHT")]
    [InlineData("endoscopy-video", "video.size", "1281x720", "video.size: 1281x720 must be even in both sides")]
    [InlineData("endoscopy-video", "video.size", "4096x2160", "video.size, video.fps: 4096x2160 is larger than H.264 Level 4.1 allows")]
    [InlineData("endoscopy-video", "video.fps", 0, "video.fps: 0 is not 1 to 60")]
    [InlineData("endoscopy-video", "video.fps", 61, "video.fps: 61 is not 1 to 60")]
    [InlineData("endoscopy-video", "video.inputFormat", "h264", "video.inputFormat: 'h264' is not mjpeg or yuyv")]
    [InlineData("endoscopy-video", "video.encoder", "h264_nvenc", "video.encoder: 'h264_nvenc' is not one of libx264, h264_v4l2m2m")]
    [InlineData("endoscopy-video", "video.still.iod", "dx", "video.still.iod: 'dx' is not one of sc, us, vl-endo, vl-photo")]
    [InlineData("endoscopy-video", "video.still.transferSyntax", "jpeg2000", "video.still.transferSyntax: 'jpeg2000' is not jpeg or native")]
    [InlineData("endoscopy-video", "video.clip.iod", "vl-endo", "video.clip.iod: 'vl-endo' is not one of video-endo, video-photo, us-mf")]
    [InlineData("endoscopy-video", "video.clip.transferSyntax", "mpeg2", "video.clip.transferSyntax: 'mpeg2' is not h264")]
    [InlineData("endoscopy-video", "video.clip.maxSeconds", 0, "video.clip.maxSeconds: 0 is not between 1 and 3600")]
    [InlineData("endoscopy-video", "video.clip.mode", "toggle", "video.clip.mode: 'toggle' is not hold or start-stop")]
    [InlineData("endoscopy-video", "video.clip.mode", "start-stop", "video.clip.mode: start-stop needs a gpio input with action clip")]
    [InlineData("endoscopy-video", "video.clip.holdMs", 50, "video.clip.holdMs: 50 is not between 200 and 10000")]
    [InlineData("endoscopy-video", "video.reopenMs", 10, "video.reopenMs: 10 is not between 50 and 60000")]
    [InlineData("fpd-1417-usb", "gpio.inputs.0.line", 22, "gpio.outputs.ready.line: line 22 is used twice")]
    [InlineData("fpd-1417-usb", "gpio.driver", "wiringpi", "gpio.driver: 'wiringpi' is not libgpiod or sysfs")]
    [InlineData("fpd-1417-usb", "output.iod", "ct", "output.iod: 'ct' is not one of sc, sc-mf-gray8")]
    [InlineData("fpd-1417-usb", "output.grouping", "multi-frame", "output.grouping: multi-frame does not fit output.iod dx")]
    [InlineData("fpd-1417-usb", "output.examIdleSeconds", -1, "output.examIdleSeconds: -1 is not between 0 (none) and 86400")]
    [InlineData("fpd-1417-usb", "output.attributes.KVP", "loud", "output.attributes: KVP")]
    [InlineData("endoscope-footswitch", "output.photometric", "MONOCHROME1", "output.photometric: vl-endo does not allow MONOCHROME1 (sc, dx and dx-proc do)")]
    [InlineData("fpd-1417-usb", "output.transferSyntax", "jpeg2000", "output.transferSyntax: 'jpeg2000' is not one of explicit, implicit, rle, jpeg-lossless, jpeg-ls, jpeg-ls-near, jpeg-baseline")]
    [InlineData("fpd-1417-usb", "output.transferSyntax", "jpeg-baseline", "output.transferSyntax: jpeg-baseline holds 8-bit images only, and dx images from this device may have more bits")]
    [InlineData("fpd-1417-usb", "output.jpegQuality", 0, "output.jpegQuality: 0 is not between 1 and 100")]
    [InlineData("fpd-1417-usb", "output.jpegLsNear", 256, "output.jpegLsNear: 256 is not between 0 and 255")]
    [InlineData("fpd-1417-usb", "output.photometric", "MONOCHROME3", "output.photometric: 'MONOCHROME3' is not MONOCHROME2 or MONOCHROME1")]
    [InlineData("endoscope-footswitch", "frames.image.samples", 2, "frames.image.samples: 2 is not 1 (grey) or 3 (RGB)")]
    [InlineData("endoscope-footswitch", "frames.request", "CAP", "frames.request: 'CAP' is not hex")]
    [InlineData("legacy-xray-rs232", "text.fields.3.pattern", "^KV (", "text.fields[3].pattern: '^KV (' is not a regular expression")]
    [InlineData("legacy-xray-rs232", "text.fields.0.pattern", "^PID=.+$", "text.fields[0].pattern: '^PID=.+$' has no group")]
    [InlineData("legacy-xray-rs232", "text.fields.4.scale", 0, "text.fields[4].scale: 0 is not a usable factor")]
    [InlineData("legacy-xray-rs232", "text.encoding", "ebcdic", "text.encoding: 'ebcdic' is not latin1, ascii or utf-8")]
    [InlineData("legacy-xray-rs232", "watchFolder.stableMs", -1, "watchFolder.stableMs: -1 is not between 0 and 600000")]
    [InlineData("legacy-xray-rs232", "schema", 2, "schema: 2 is not a profile version this gateway reads (1)")]
    public void A_malformed_field_gets_a_message_naming_it(string profile, string path, object value, string expected)
    {
        var json = JsonNode.Parse(File.ReadAllText(Profiles.PathOf(profile)), documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!;
        var parts = path.Split('.');
        var node = json;
        foreach (var part in parts[..^1])
            node = int.TryParse(part, out var i) ? node![i] : node![part];
        var last = parts[^1];
        node![last] = value switch
        {
            int n => JsonValue.Create(n),
            _ => JsonValue.Create((string)value),
        };
        var e = Assert.Throws<ProfileException>(() => ProfileLoader.Parse(json.ToJsonString(), "test.json"));
        Assert.True(e.Problems.Count == 1, string.Join("\n", e.Problems));
        Assert.StartsWith(expected, e.Problems[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fpd-1417-usb", "jpeg-ls")]
    [InlineData("fpd-1417-usb", "rle")]
    [InlineData("fpd-1417-usb", "jpeg-ls-near")]
    [InlineData("endoscope-footswitch", "jpeg-baseline")]
    public void An_output_syntax_that_holds_the_profiles_images_is_valid(string profile, string syntax) =>
        Assert.Empty(ProfileLoader.Validate(Profiles.Load(profile) is var p ? p with { Output = p.Output with { TransferSyntax = syntax } } : null!));

    [Fact]
    public void Unknown_keys_and_wrong_types_are_named_by_their_JSON_path()
    {
        var e = Assert.Throws<ProfileException>(() => ProfileLoader.Parse("""{ "name": "x", "serial": { "device": "/dev/x", "baud": "fast" } }""", "p.json"));
        Assert.StartsWith("serial.baud:", e.Problems[0], StringComparison.Ordinal);
        e = Assert.Throws<ProfileException>(() => ProfileLoader.Parse("""{ "name": "x", "serail": {} }""", "p.json"));
        Assert.Contains("serail", e.Problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_of_a_profile_is_listed_at_once()
    {
        var e = Assert.Throws<ProfileException>(() => ProfileLoader.Parse(
            """{ "name": "", "serial": { "device": "", "baud": 0 }, "output": { "iod": "xx" } }""", "p.json"));
        Assert.Equal(5, e.Problems.Count); // name, device, baud, neither frames nor text, iod
    }
}
