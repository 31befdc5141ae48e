using Gateway.Dicom;
using Gateway.Dicom.Video;
using Gateway.Hardware.Video;
using Gateway.Shared;

namespace Gateway.Acquisition.Video;

/// <summary>What a recorded clip became.</summary>
/// <param name="Frames">Access units (pictures) in the object: its Number of Frames.</param>
/// <param name="StreamBytes">Length of the H.264 stream in the pixel data.</param>
/// <param name="Interrupted">The grabber went away before the end: the object holds the pictures that came whole.</param>
/// <param name="Reason">Why it was interrupted (ffmpeg's words), or null.</param>
public sealed record ClipResult(string Path, long Frames, long StreamBytes, bool Interrupted, string? Reason);

/// <summary>
/// Records one clip from a grabber straight into its DICOM file (issue #20): ffmpeg's H.264 stream is cut into access
/// units as it arrives and each whole one is appended to the open pixel data (<see cref="VideoClipWriter"/>), so memory
/// holds one picture, not the clip. The file is written as a temporary beside <c>path</c>, fsync'd, renamed, and the
/// directory fsync'd: it appears complete or not at all. A grabber lost mid-clip (ffmpeg killed, cable pulled) leaves
/// a valid shorter object of the whole pictures so far (<see cref="ClipResult.Interrupted"/>); with no whole picture
/// nothing is left and <see cref="VideoSourceException"/> says why.
/// </summary>
public static class ClipRecorder
{
    /// <summary>The longest clip anyone may ask for: 1 hour (a 10-minute clip is what the service records by default).</summary>
    public const int MaxSeconds = 3600;

    /// <summary>The size and rate a clip can have in 1.2.840.10008.1.2.4.102, or the reason it cannot.</summary>
    public static string? Check(VideoSourceSettings settings, int seconds) =>
        seconds is < 1 or > MaxSeconds ? $"a clip lasts 1 to {MaxSeconds} seconds, not {seconds}"
        : H264Constraints.Check(settings.Width, settings.Height, settings.Fps);

    /// <param name="dataset">The object without Pixel Data and Number of Frames (<see cref="Dicom.Iod.VideoObjects.Clip"/>).</param>
    /// <param name="stop">Cancelled to end the clip early (foot switch released, stop pressed): ffmpeg is asked to finish and the clip is kept.</param>
    /// <param name="started">Called with ffmpeg's process once it runs (tests kill it to play an unplugged grabber).</param>
    /// <param name="picture">Called with the count after each whole picture is written (progress for the page; tests).</param>
    public static async Task<ClipResult> RecordAsync(VideoGrabber grabber, int seconds, DicomDataset dataset, string path,
        Action<FfmpegProcess>? started = null, Action<long>? picture = null, CancellationToken stop = default, CancellationToken abort = default)
    {
        if (Check(grabber.Settings, seconds) is { } problem)
            throw new VideoSourceException(problem);
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        var temp = System.IO.Path.Combine(dir, "." + System.IO.Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        var kept = false;
        try
        {
            using var ffmpeg = grabber.StartClip(seconds);
            started?.Invoke(ffmpeg);
            long frames;
            long bytes;
            int? exit;
            string said;
            var splitter = new H264AccessUnitSplitter();
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20))
            {
                var writer = VideoClipWriter.Start(file, dataset, DicomTransferSyntax.Mpeg4HighProfile41);
                void Write(ReadOnlyMemory<byte> unit)
                {
                    writer.Write(unit.Span);
                    picture?.Invoke(splitter.AccessUnits + 1);
                }
                using var stopping = stop.Register(ffmpeg.RequestStop);
                var chunk = new byte[1 << 16];
                int n;
                while ((n = await ffmpeg.Output.ReadAsync(chunk, abort).ConfigureAwait(false)) > 0)
                    splitter.Push(chunk.AsSpan(0, n), Write);
                exit = await ffmpeg.WaitAsync(TimeSpan.FromSeconds(10), abort).ConfigureAwait(false);
                said = ffmpeg.Stderr;
                // A clean end: the pending bytes are the last picture. Otherwise they may be a torn one: dropped.
                if (exit == 0)
                    splitter.Finish(Write);
                frames = splitter.AccessUnits;
                bytes = writer.StreamLength;
                if (frames == 0)
                    throw new VideoSourceException($"device disconnected: no picture came from {grabber.Settings.Source}{(said.Length > 0 ? ": " + said : "")}");
                if (splitter.ProfileIdc != H264Constraints.HighProfileIdc || splitter.LevelIdc > H264Constraints.Level41Idc)
                    throw new VideoSourceException($"the encoder {grabber.Settings.Encoder} made profile_idc {splitter.ProfileIdc} level_idc {splitter.LevelIdc}, not High Profile at Level 4.1 or below: nothing kept");
                writer.Complete(frames);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: false);
            kept = true;
            DirectoryFsync.Flush(dir);
            return exit == 0
                ? new ClipResult(full, frames, bytes, false, null)
                : new ClipResult(full, frames, bytes, true,
                    $"device disconnected: ffmpeg ended with {(exit is { } e ? "exit code " + e : "no exit")}{(said.Length > 0 ? ": " + said : "")}; {frames} whole pictures kept");
        }
        finally
        {
            if (!kept)
                TryDelete(temp);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
