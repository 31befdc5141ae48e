using System.Text.Json;
using Gateway.Dicom.Video;
using Gateway.Testing;
using Xunit;

namespace Gateway.Dicom.Tests;

/// <summary>
/// Issue #20: the access-unit splitter on real libx264 streams (ffmpeg's test pattern), judged by ffprobe's count of
/// pictures; the stream split at every byte boundary gives the same pictures, and a stream cut anywhere gives a prefix
/// of them (the torn last one is never emitted).
/// </summary>
public sealed class H264AccessUnitSplitterTests : IDisposable
{
    private readonly TempDirectory _temp = new("h264");

    public void Dispose() => _temp.Dispose();

    private byte[] Stream(int width, int height, int frames, params string[] extra)
    {
        var path = _temp.File($"s-{width}x{height}-{frames}-{extra.Length}.h264");
        var r = ProcessRunner.Run(Peers.Require("ffmpeg", "ffmpeg"), ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
            $"testsrc2=size={width}x{height}:rate=30", "-frames:v", $"{frames}", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "high",
            "-level:v", "4.1", .. extra, "-f", "h264", path]);
        Assert.True(r.ExitCode == 0, r.All);
        var probe = ProcessRunner.Run(Peers.Require("ffprobe", "ffmpeg"), ["-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "json", path]);
        var counted = JsonDocument.Parse(probe.StdOut).RootElement.GetProperty("streams")[0].GetProperty("nb_read_frames").GetString();
        Assert.Equal(frames.ToString(System.Globalization.CultureInfo.InvariantCulture), counted);
        return File.ReadAllBytes(path);
    }

    private static List<byte[]> Split(byte[] stream, IEnumerable<int> cuts, bool finish, out H264AccessUnitSplitter splitter)
    {
        var units = new List<byte[]>();
        var s = new H264AccessUnitSplitter();
        var at = 0;
        foreach (var cut in cuts.Append(stream.Length))
        {
            s.Push(stream.AsSpan(at, cut - at), u => units.Add(u.ToArray()));
            at = cut;
        }
        if (finish)
            s.Finish(u => units.Add(u.ToArray()));
        splitter = s;
        return units;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]   // with access unit delimiters (NAL type 9) and several slices a picture
    public void Every_picture_ffprobe_counts_and_every_byte_in_order(bool delimitersAndSlices)
    {
        string[] extra = delimitersAndSlices ? ["-x264-params", "aud=1:slices=3"] : [];
        var stream = Stream(128, 96, 45, extra);
        var units = Split(stream, [], finish: true, out var splitter);
        Assert.Equal(45, units.Count);
        Assert.Equal(45, splitter.AccessUnits);
        Assert.Equal(stream, units.SelectMany(u => u).ToArray());
        Assert.Equal(H264Constraints.HighProfileIdc, splitter.ProfileIdc);
        Assert.Equal(H264Constraints.Level41Idc, splitter.LevelIdc);
    }

    [Fact]
    public void Split_at_every_byte_boundary_the_pictures_are_the_same()
    {
        var stream = Stream(64, 48, 12);
        var whole = Split(stream, [], finish: true, out _);
        for (var cut = 1; cut < stream.Length; cut++)
        {
            var parts = Split(stream, [cut], finish: true, out _);
            Assert.True(whole.Count == parts.Count, $"cut at {cut}: {parts.Count} pictures, not {whole.Count}");
            for (var i = 0; i < whole.Count; i++)
                Assert.True(whole[i].AsSpan().SequenceEqual(parts[i]), $"cut at {cut}: picture {i} differs");
        }
        var bytes = Split(stream, Enumerable.Range(1, stream.Length - 1), finish: true, out _);
        Assert.Equal(whole.Count, bytes.Count);
    }

    [Fact]
    public void A_stream_cut_anywhere_gives_only_whole_pictures()
    {
        var stream = Stream(64, 48, 12);
        var whole = Split(stream, [], finish: true, out _);
        var ends = new List<int>();
        var sum = 0;
        foreach (var u in whole)
            ends.Add(sum += u.Length);
        for (var length = 0; length < stream.Length; length += 7)
        {
            // Without Finish (the encoder did not end cleanly): only pictures whose successor had begun are out.
            var units = Split(stream[..length], [], finish: false, out var splitter);
            var complete = ends.Count(e => e < length - 4);
            Assert.InRange(units.Count, Math.Max(0, complete - 1), complete);
            for (var i = 0; i < units.Count; i++)
                Assert.True(whole[i].AsSpan().SequenceEqual(units[i]), $"cut at {length}: picture {i} differs");
            Assert.Equal(length - units.Sum(u => u.Length), splitter.Pending);
        }
    }

    [Fact]
    public void Bytes_that_are_not_an_H264_stream_are_refused_after_4_KiB()
    {
        var s = new H264AccessUnitSplitter();
        var e = Assert.Throws<DicomValueException>(() => s.Push(new byte[8192].Select((_, i) => (byte)(i % 251 + 1)).ToArray(), _ => { }));
        Assert.Contains("not an H.264 byte stream", e.Message, StringComparison.Ordinal);
    }
}
