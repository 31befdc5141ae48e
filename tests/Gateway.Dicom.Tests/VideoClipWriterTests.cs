using System.Text.Json;
using Gateway.Dicom.Iod;
using Gateway.Dicom.Video;
using Gateway.Testing;
using Xunit;

namespace Gateway.Dicom.Tests;

/// <summary>
/// Issue #20: the streaming clip writer. A stream past the fragment limit goes on in further fragments of that size
/// (shown with a small limit instead of 4 GiB); the file is then read by dcmdump without warnings, by dciodvfy without
/// errors, by our own reader, and the fragments joined are the stream ffprobe decodes whole.
/// </summary>
public sealed class VideoClipWriterTests : IDisposable
{
    private readonly TempDirectory _temp = new("clipwriter");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(VideoClipWriter.MaxFragment)]
    [InlineData(4096)]
    public void The_stream_in_fragments_of_at_most_the_limit_is_a_valid_object(long limit)
    {
        var h264 = _temp.File("in.h264");
        var r = ProcessRunner.Run(Peers.Require("ffmpeg", "ffmpeg"), ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25",
            "-frames:v", "50", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "high", "-level:v", "4.1", "-f", "h264", h264]);
        Assert.True(r.ExitCode == 0, r.All);
        var stream = File.ReadAllBytes(h264);
        var meta = new DicomDataset();
        meta.SetSequence(DicomTags.AnatomicRegionSequence, new DicomDataset()
            .Set(DicomTags.CodeValue, "71854001").Set(DicomTags.CodingSchemeDesignator, "SCT").Set(DicomTags.CodeMeaning, "Colon"));
        var ds = VideoObjects.Clip(IodKind.VideoEndoscopic, 160, 120, 25, meta, new SeriesContext(DicomUidGenerator.Default).NextInstance());
        var path = _temp.File($"clip-{limit}.dcm");
        var splitter = new H264AccessUnitSplitter();
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            var writer = VideoClipWriter.Start(file, ds, DicomTransferSyntax.Mpeg4HighProfile41, limit);
            splitter.Push(stream, u => writer.Write(u.Span));
            splitter.Finish(u => writer.Write(u.Span));
            writer.Complete(splitter.AccessUnits);
            Assert.Equal(stream.Length, writer.StreamLength);
        }
        Assert.Equal(50, splitter.AccessUnits);
        Assert.Empty(Dciodvfy.Errors(path));
        var dump = ProcessRunner.Run(Peers.Require("dcmdump", "dcmtk"), ["-q", path]);
        Assert.True(dump.ExitCode == 0 && dump.StdErr.Trim().Length == 0, dump.All);

        var read = DicomFile.Open(path);
        Assert.Equal("50", read.Dataset.TryGetString(DicomTags.NumberOfFrames));
        var pixels = Assert.IsType<DicomFragmentSequence>(read.Dataset.Find(DicomTags.PixelData));
        Assert.Equal(0, pixels.OffsetTable.Length);
        var expected = (int)((stream.Length + (stream.Length & 1) + limit - 1) / limit);
        Assert.Equal(expected, pixels.Fragments.Count);
        Assert.All(pixels.Fragments.SkipLast(1), f => Assert.Equal(limit, f.Length));
        var joined = _temp.File($"joined-{limit}.h264");
        using (var f = File.Create(joined))
        {
            foreach (var fragment in pixels.Fragments)
                fragment.CopyTo(f);
        }
        var probe = ProcessRunner.Run(Peers.Require("ffprobe", "ffmpeg"), ["-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "json", joined]);
        Assert.Equal("", probe.StdErr.Trim());
        Assert.Equal("50", JsonDocument.Parse(probe.StdOut).RootElement.GetProperty("streams")[0].GetProperty("nb_read_frames").GetString());
    }
}
