using System.Text.Json;
using Gateway.Acquisition.Video;
using Gateway.Dicom;
using Gateway.Dicom.Iod;
using Gateway.Hardware.Video;
using Gateway.Testing;
using Xunit;

namespace Gateway.Acquisition.Tests;

/// <summary>
/// Issue #20: a grabber gone mid-clip (the ffmpeg process killed, as when the cable is pulled) leaves either a valid
/// shorter clip of the whole pictures so far or nothing — never a half-written file. Judged by dciodvfy and ffprobe.
/// </summary>
[Collection(RealTimeVideo.Name)]
public sealed class VideoClipTests : IDisposable
{
    private readonly TempDirectory _temp = new("clips");

    public void Dispose() => _temp.Dispose();

    private static DicomDataset Dataset(VideoSourceSettings s)
    {
        var meta = new DicomDataset();
        meta.Set(DicomTags.PatientID, "E-1");
        meta.SetSequence(DicomTags.AnatomicRegionSequence, new DicomDataset()
            .Set(DicomTags.CodeValue, "71854001").Set(DicomTags.CodingSchemeDesignator, "SCT").Set(DicomTags.CodeMeaning, "Colon"));
        var identity = new SeriesContext(DicomUidGenerator.Default).NextInstance();
        return VideoObjects.Clip(IodKind.VideoEndoscopic, s.Width, s.Height, s.Fps, meta, identity);
    }

    [Fact]
    public async Task A_grabber_killed_mid_clip_leaves_a_valid_shorter_clip()
    {
        var settings = new VideoSourceSettings { Width = 640, Height = 360, Fps = 30 };
        var path = _temp.File("cut.dcm");
        FfmpegProcess? ffmpeg = null;
        var result = await ClipRecorder.RecordAsync(new VideoGrabber(settings), 60, Dataset(settings), path,
            started: p => ffmpeg = p,
            picture: n =>
            {
                // Pulled after 45 pictures: the ffmpeg process (and any child) is killed, its stream ends mid-picture.
                if (n == 45)
                    ffmpeg!.Kill();
            });
        Assert.True(result.Interrupted, result.ToString());
        Assert.Contains("device disconnected", result.Reason, StringComparison.Ordinal);
        Assert.InRange(result.Frames, 45, 1799);
        Assert.Empty(Dciodvfy.Errors(path));
        Assert.Empty(Directory.GetFiles(_temp.Path, "*.tmp"));
        var frames = DicomFile.Open(path).Dataset.TryGetString(DicomTags.NumberOfFrames);
        Assert.Equal(result.Frames.ToString(System.Globalization.CultureInfo.InvariantCulture), frames);
        Assert.Equal(result.Frames, FramesFfprobeCounts(path));
    }

    [Fact]
    public async Task A_grabber_killed_before_its_first_picture_leaves_nothing()
    {
        var settings = new VideoSourceSettings { Width = 640, Height = 360, Fps = 30 };
        var path = _temp.File("none.dcm");
        var e = await Assert.ThrowsAsync<VideoSourceException>(() => ClipRecorder.RecordAsync(new VideoGrabber(settings), 60, Dataset(settings), path,
            started: p => p.Kill()));
        Assert.Contains("device disconnected", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public async Task Stop_ends_the_clip_early_and_keeps_every_picture()
    {
        var settings = new VideoSourceSettings { Width = 640, Height = 360, Fps = 30 };
        var path = _temp.File("stopped.dcm");
        using var stop = new CancellationTokenSource();
        var result = await ClipRecorder.RecordAsync(new VideoGrabber(settings), 60, Dataset(settings), path,
            picture: n =>
            {
                if (n == 30)
                    stop.Cancel();
            }, stop: stop.Token);
        Assert.False(result.Interrupted, result.ToString());
        Assert.InRange(result.Frames, 30, 1799);
        Assert.Empty(Dciodvfy.Errors(path));
        Assert.Equal(result.Frames, FramesFfprobeCounts(path));
    }

    /// <summary>The pictures ffprobe decodes in the object's pixel data (the fragment after the empty offset table).</summary>
    private long FramesFfprobeCounts(string path)
    {
        var file = DicomFile.Open(path);
        var pixels = Assert.IsType<DicomFragmentSequence>(file.Dataset.Find(DicomTags.PixelData));
        Assert.Equal(0, pixels.OffsetTable.Length);
        var stream = _temp.File(Path.GetFileName(path) + ".h264");
        using (var f = File.Create(stream))
        {
            foreach (var fragment in pixels.Fragments)
                fragment.CopyTo(f);
        }
        var probe = ProcessRunner.Run(Peers.Require("ffprobe", "ffmpeg"), ["-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "json", stream]);
        Assert.True(probe.ExitCode == 0, probe.All);
        Assert.Equal("", probe.StdErr.Trim());
        return long.Parse(JsonDocument.Parse(probe.StdOut).RootElement.GetProperty("streams")[0].GetProperty("nb_read_frames").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }
}
