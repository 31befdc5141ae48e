using System.Globalization;
using System.Text.Json;
using Gateway.Testing;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>
/// Issue #20: `gateway capture` with ffmpeg's testsrc2 as the grabber. Every object is judged by dciodvfy (no errors),
/// dcmdump (no warnings) and pydicom; the H.264 stream pydicom extracts is judged by ffprobe; stills are compared with
/// the test pattern's frame as ffmpeg itself writes it in RGB.
/// </summary>
public sealed class CaptureCommandTests : IDisposable
{
    private const string Colon = """{"PatientName": "Dupré^Hélène", "PatientID": "E-77", "AnatomicRegionSequence": [{"CodeValue": "71854001", "CodingSchemeDesignator": "SCT", "CodeMeaning": "Colon"}]}""";
    private readonly TempDirectory _temp = new("capture");

    public void Dispose() => _temp.Dispose();

    private string Meta(string json)
    {
        var path = _temp.File(Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    private static JsonElement Pydicom(params string[] args)
    {
        var r = ProcessRunner.Run(Peers.RequirePydicom(), [Path.Combine(AppContext.BaseDirectory, "Scripts", "check_video.py"), .. args]);
        Assert.True(r.ExitCode == 0, r.All);
        return JsonDocument.Parse(r.StdOut.Trim()).RootElement;
    }

    private static void Valid(string path)
    {
        Assert.Empty(Dciodvfy.Errors(path));
        var dump = ProcessRunner.Run(Peers.Require("dcmdump", "dcmtk"), ["-q", path]);
        Assert.True(dump.ExitCode == 0, dump.All);
        Assert.Equal("", dump.StdErr.Trim());
    }

    /// <summary>ffmpeg's own RGB frame of the pattern: the first frame of testsrc2 at this size (what a still of it must show).</summary>
    private string Reference(int width, int height)
    {
        var path = _temp.File($"ref-{width}x{height}.rgb");
        var r = ProcessRunner.Run(Peers.Require("ffmpeg", "ffmpeg"), ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
            string.Create(CultureInfo.InvariantCulture, $"testsrc2=size={width}x{height}:rate=30"), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", path]);
        Assert.True(r.ExitCode == 0, r.All);
        return path;
    }

    [Theory]
    [InlineData("vl-endo", "native", "1.2.840.10008.5.1.4.1.1.77.1.1")]
    [InlineData("vl-endo", "jpeg", "1.2.840.10008.5.1.4.1.1.77.1.1")]
    [InlineData("vl-photo", "jpeg", "1.2.840.10008.5.1.4.1.1.77.1.4")]
    [InlineData("us", "native", "1.2.840.10008.5.1.4.1.1.6.1")]
    [InlineData("us", "jpeg", "1.2.840.10008.5.1.4.1.1.6.1")]
    [InlineData("sc", "jpeg", "1.2.840.10008.5.1.4.1.1.7")]
    [InlineData("sc", "native", "1.2.840.10008.5.1.4.1.1.7")]
    public void A_still_is_the_frame_of_the_pattern_and_a_valid_object(string iod, string ts, string sopClass)
    {
        var output = _temp.File($"{iod}-{ts}.dcm");
        var r = GatewayExecutable.Run("capture", "--source", "test", "--size", "640x480", "--fps", "25", "--still", "--ts", ts,
            "--iod", iod, "--meta", Meta(Colon), "--out", output);
        Assert.True(r.ExitCode == 0, r.All);
        Valid(output);
        var read = Pydicom("still", output, Reference(640, 480));
        Assert.Equal(sopClass, read.GetProperty("sopClass").GetString());
        Assert.Equal("Dupré^Hélène", read.GetProperty("patientName").GetString());
        Assert.Equal(640 * 480 * 3, read.GetProperty("length").GetInt32());
        if (ts == "native")
        {
            Assert.Equal("1.2.840.10008.1.2.1", read.GetProperty("ts").GetString());
            Assert.Equal("RGB", read.GetProperty("photometric").GetString());
            Assert.True(read.GetProperty("equal").GetBoolean(), read.ToString());
            Assert.Equal("00", read.GetProperty("lossy").GetString());
        }
        else
        {
            Assert.Equal("1.2.840.10008.1.2.4.50", read.GetProperty("ts").GetString());
            Assert.Equal("YBR_FULL_422", read.GetProperty("photometric").GetString());
            Assert.Equal("01", read.GetProperty("lossy").GetString());
            Assert.Equal("ISO_10918_1", read.GetProperty("method").GetString());
            // JPEG tolerance at quality 2 (ffmpeg's -q:v): small on average; the pattern's sharp colour edges lose most.
            Assert.True(read.GetProperty("meanError").GetDouble() < 4, read.ToString());
        }
    }

    [Theory]
    [InlineData("video-endo", 1280, 720, 30, 2, "1.2.840.10008.5.1.4.1.1.77.1.1.1")]
    [InlineData("video-photo", 640, 480, 25, 2, "1.2.840.10008.5.1.4.1.1.77.1.4.1")]
    [InlineData("us-mf", 800, 600, 30, 1, "1.2.840.10008.5.1.4.1.1.3.1")]
    public void A_clip_is_h264_high_profile_level_41_with_the_frames_ffprobe_counts(string iod, int width, int height, int fps, int seconds, string sopClass)
    {
        var output = _temp.File($"{iod}.dcm");
        var r = GatewayExecutable.Run("capture", "--source", "test", "--size", $"{width}x{height}", "--fps", fps.ToString(CultureInfo.InvariantCulture),
            "--clip", seconds.ToString(CultureInfo.InvariantCulture), "--iod", iod, "--meta", Meta(Colon), "--out", output);
        Assert.True(r.ExitCode == 0, r.All);
        Valid(output);
        var stream = _temp.File($"{iod}.h264");
        var read = Pydicom("clip", output, stream);
        Assert.Equal(sopClass, read.GetProperty("sopClass").GetString());
        Assert.Equal("1.2.840.10008.1.2.4.102", read.GetProperty("ts").GetString());
        Assert.Equal("YBR_PARTIAL_420", read.GetProperty("photometric").GetString());
        Assert.Equal("01", read.GetProperty("lossy").GetString());
        Assert.Equal("ISO_14496_10", read.GetProperty("method").GetString());
        Assert.Equal(0, read.GetProperty("basicOffsetTable").GetInt32());
        Assert.Equal(1, read.GetProperty("fragments").GetInt32());
        Assert.Equal("(0018,1063)", read.GetProperty("frameIncrementPointer").GetString()!.Replace(" ", "", StringComparison.Ordinal));
        Assert.Equal(Math.Round(1000.0 / fps, 3), read.GetProperty("frameTime").GetDouble(), 3);
        Assert.Equal(fps, read.GetProperty("cineRate").GetInt32());
        Assert.Equal(fps, read.GetProperty("recommendedRate").GetInt32());
        Assert.Equal(height, read.GetProperty("rows").GetInt32());
        Assert.Equal(width, read.GetProperty("columns").GetInt32());

        var probe = ProcessRunner.Run(Peers.Require("ffprobe", "ffmpeg"), ["-v", "error", "-count_frames", "-show_entries",
            "stream=codec_name,profile,level,width,height,r_frame_rate,nb_read_frames", "-of", "json", stream]);
        Assert.True(probe.ExitCode == 0, probe.All);
        Assert.Equal("", probe.StdErr.Trim());
        var s = JsonDocument.Parse(probe.StdOut).RootElement.GetProperty("streams")[0];
        Assert.Equal("h264", s.GetProperty("codec_name").GetString());
        Assert.Equal("High", s.GetProperty("profile").GetString());
        Assert.Equal(41, s.GetProperty("level").GetInt32());
        Assert.Equal(width, s.GetProperty("width").GetInt32());
        Assert.Equal(height, s.GetProperty("height").GetInt32());
        Assert.Equal($"{fps}/1", s.GetProperty("r_frame_rate").GetString());
        var counted = int.Parse(s.GetProperty("nb_read_frames").GetString()!, CultureInfo.InvariantCulture);
        Assert.Equal(fps * seconds, counted);
        Assert.Equal(counted, read.GetProperty("frames").GetInt32());
    }

    [Fact]
    public void Orthanc_stores_a_still_and_a_clip()
    {
        using var orthanc = new OrthancPeer();
        var still = _temp.File("still.dcm");
        var clip = _temp.File("clip.dcm");
        Assert.Equal(0, GatewayExecutable.Run("capture", "--source", "test", "--still", "--ts", "jpeg", "--iod", "vl-endo", "--meta", Meta(Colon), "--out", still).ExitCode);
        Assert.Equal(0, GatewayExecutable.Run("capture", "--source", "test", "--size", "1920x1080", "--clip", "1", "--iod", "video-endo", "--meta", Meta(Colon), "--out", clip).ExitCode);
        var sent = GatewayExecutable.Run("send", still, clip, "--to", $"127.0.0.1:{orthanc.DicomPort}", "--called", orthanc.AeTitle);
        Assert.True(sent.ExitCode == 0, sent.All);
        var stored = orthanc.InstancesBySopInstanceUid();
        Assert.Equal(2, stored.Count);
        var clipTags = stored.Values.Select(orthanc.SimplifiedTags).Single(t => t.GetProperty("SOPClassUID").GetString() == "1.2.840.10008.5.1.4.1.1.77.1.1.1");
        Assert.Equal("30", clipTags.GetProperty("NumberOfFrames").GetString()!.Trim());
        Assert.Equal("E-77", clipTags.GetProperty("PatientID").GetString());
    }

    [Theory]
    [InlineData("--size|1920x1080|--fps|60|--clip|2|--iod|video-endo", "1920x1080 at 60 fps")]
    [InlineData("--size|4096x2160|--clip|2|--iod|video-endo", "larger than H.264 Level 4.1")]
    [InlineData("--size|641x480|--still|--iod|vl-endo", "even")]
    [InlineData("--fps|0|--still|--iod|vl-endo", "--fps")]
    [InlineData("--clip|2|--iod|vl-endo", "not a clip's IOD")]
    [InlineData("--still|--iod|video-endo", "not a still's IOD")]
    [InlineData("--still|--clip|2|--iod|video-endo", "one of --still and --clip")]
    [InlineData("--clip|0|--iod|video-endo", "1 to 3600 seconds")]
    [InlineData("--clip|2|--iod|video-endo|--encoder|nvenc", "--encoder")]
    [InlineData("--clip|2|--iod|video-endo|--no-meta", "AnatomicRegionSequence")]
    public void Parameters_that_cannot_be_honoured_exit_2_with_the_reason(string args, string reason)
    {
        var output = _temp.File("bad.dcm");
        List<string> all = ["capture", "--source", "test", .. args.Split('|').Where(a => a != "--no-meta"), "--out", output];
        if (!args.Contains("--no-meta", StringComparison.Ordinal))
            all.AddRange(["--meta", Meta(Colon)]);
        var r = GatewayExecutable.Run([.. all]);
        Assert.True(r.ExitCode == 2, r.All);
        Assert.Contains(reason, r.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(_temp.Path, "*.tmp"));
    }

    [Fact]
    public void A_missing_grabber_exits_2_and_says_device_disconnected()
    {
        var output = _temp.File("none.dcm");
        var r = GatewayExecutable.Run("capture", "--source", "v4l2:/dev/video-gateway-test-absent", "--still", "--iod", "vl-endo", "--out", output);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("device disconnected: /dev/video-gateway-test-absent does not exist", r.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }
}
