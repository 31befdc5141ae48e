using Gateway.Dicom;
using Gateway.Dicom.Imaging;
using Gateway.Hardware.Profiles;
using Gateway.Hardware.WatchFolder;
using Gateway.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Hardware.Tests;

public sealed class WatchFolderTests : IDisposable
{
    private readonly TempDirectory _temp = new("watch");
    private readonly FakeTimeProvider _time = new();
    private readonly RecordingSink _sink = new();
    private readonly WatchFolderSource _source;

    public WatchFolderTests() =>
        _source = new WatchFolderSource(new WatchFolderSettings { Path = _temp.Path, StableMs = 2000 }, _sink, NullLogger.Instance, _time);

    public void Dispose() => _temp.Dispose();

    private static byte[] Pgm(int w, int h)
    {
        var header = System.Text.Encoding.ASCII.GetBytes($"P5\n{w} {h}\n255\n");
        var pixels = Enumerable.Range(0, w * h).Select(i => (byte)i).ToArray();
        return [.. header, .. pixels];
    }

    [Fact]
    public void A_file_copied_slowly_is_imported_once_and_complete()
    {
        var bytes = Pgm(300, 200);
        var path = _temp.File("exam.pgm");
        using (var writer = new FileStream(path, FileMode.CreateNew))
        {
            for (var offset = 0; offset < bytes.Length; offset += 7000)
            {
                writer.Write(bytes, offset, Math.Min(7000, bytes.Length - offset));
                writer.Flush();
                _source.Poll();
                _time.Advance(TimeSpan.FromMilliseconds(1500)); // pauses shorter than stableMs: never taken half-written
            }
        }
        _source.Poll();
        Assert.Empty(_sink.Imported);
        _time.Advance(TimeSpan.FromMilliseconds(2000));
        _source.Poll();
        _source.Poll();
        _time.Advance(TimeSpan.FromSeconds(10));
        _source.Poll();
        var imported = Assert.Single(_sink.Imported);
        Assert.Equal(new ImageFormat(300, 200, 1, 8, 8), imported.Format);
        Assert.Equal(bytes[^(300 * 200)..], imported.Pixels);
        Assert.False(File.Exists(path));
        Assert.True(File.Exists(Path.Combine(_source.DoneDir, "exam.pgm")));
    }

    /// <summary>Files ready at the same look are imported in the order of their names, not the directory's order.</summary>
    [Fact]
    public void Files_ready_together_are_imported_in_the_order_of_their_names()
    {
        foreach (var (name, width) in new[] { ("IMG0003.pgm", 30), ("IMG0001.pgm", 10), ("IMG0004.pgm", 40), ("IMG0002.pgm", 20) })
            File.WriteAllBytes(_temp.File(name), Pgm(width, 5));
        _source.Poll();
        _time.Advance(TimeSpan.FromSeconds(3));
        _source.Poll();
        Assert.Equal([10, 20, 30, 40], _sink.Imported.Select(i => i.Format.Columns));
    }

    [Fact]
    public void A_corrupt_PNG_lands_in_failed_with_the_reason()
    {
        var png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAAAAABX3VL4AAAADklEQVR4nGNgYGBgYGAAAAQAAXBsNYwAAAAASUVORK5CYII=");
        png[^20] ^= 0xFF; // inside the IDAT chunk: its CRC no longer matches
        File.WriteAllBytes(_temp.File("bad.png"), png);
        _source.Poll();
        _time.Advance(TimeSpan.FromSeconds(3));
        _source.Poll();
        Assert.Empty(_sink.Imported);
        Assert.True(File.Exists(Path.Combine(_source.FailedDir, "bad.png")));
        var reason = File.ReadAllText(Path.Combine(_source.FailedDir, "bad.png.reason.txt"));
        Assert.Contains("CRC", reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_file_recorded_as_imported_before_a_crash_is_moved_not_imported_again()
    {
        var path = _temp.File("again.pgm");
        File.WriteAllBytes(path, Pgm(4, 4));
        var info = new FileInfo(path);
        File.WriteAllText(Path.Combine(_temp.Path, ".gateway-imported"), $"{info.Length}\t{info.LastWriteTimeUtc.Ticks}\tagain.pgm\n");
        using var stop = new CancellationTokenSource();
        var running = _source.RunAsync(stop.Token);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (File.Exists(path) && DateTime.UtcNow < deadline)
            await Task.Delay(10);
        await stop.CancelAsync();
        await running;
        Assert.True(File.Exists(Path.Combine(_source.DoneDir, "again.pgm")));
        Assert.Empty(_sink.Imported);
    }

    [Fact]
    public void A_full_spool_leaves_the_file_where_it_is_for_the_next_look()
    {
        _sink.Answer = (ImportResult.Deferred, "spool full");
        File.WriteAllBytes(_temp.File("wait.pgm"), Pgm(4, 4));
        _source.Poll();
        _time.Advance(TimeSpan.FromSeconds(3));
        _source.Poll();
        Assert.True(File.Exists(_temp.File("wait.pgm")));
        _sink.Answer = (ImportResult.Stored, null);
        _source.Poll();
        _time.Advance(TimeSpan.FromSeconds(3));
        _source.Poll();
        Assert.Single(_sink.Imported);
    }

    private sealed class RecordingSink : IImageSink
    {
        public List<(ImageFormat Format, byte[] Pixels)> Imported { get; } = [];
        public (ImportResult, string?) Answer { get; set; } = (ImportResult.Stored, null);

        public (ImportResult Result, string? Reason) Import(IImageSource image, DicomDataset? sidecar)
        {
            var pixels = image.DecodePixels();
            if (Answer.Item1 == ImportResult.Stored)
                Imported.Add((image.Format, pixels));
            return Answer;
        }
    }
}
