using System.Globalization;
using Gateway.Dicom;
using Gateway.Dicom.Imaging;
using Gateway.Dicom.Iod;
using Gateway.Hardware.Profiles;
using Gateway.Shared;
using Microsoft.Extensions.Logging;

namespace Gateway.Hardware.WatchFolder;

/// <summary>What became of one imported file.</summary>
public enum ImportResult
{
    /// <summary>Durable in the spool: the file goes to done/.</summary>
    Stored,
    /// <summary>The file itself is bad (corrupt image, bad sidecar): it goes to failed/ with the reason.</summary>
    Rejected,
    /// <summary>The gateway cannot take it now (spool full): the file stays and is tried again.</summary>
    Deferred,
}

/// <summary>Where watch-folder images go; called on the folder's polling thread.</summary>
public interface IImageSink
{
    (ImportResult Result, string? Reason) Import(IImageSource image, DicomDataset? sidecar);
}

/// <summary>
/// A folder the device (a USB-stick export, a network share) drops images into: PNG, PGM/PPM, BMP, or raw with the
/// profile's layout, each optionally with a "name.json" sidecar of DICOM keywords. Polled rather than watched with
/// inotify, which network shares do not deliver. A file is taken only once its size and time stayed the same for
/// stableMs (a slow copy is not read half-written); then it moves to done/, or to failed/ with "name.reason.txt".
/// Never imported twice: the journal ".gateway-imported" records a file before it is moved, so a crash between the
/// spool's commit and the move does not import it again at the next start.
/// </summary>
public sealed class WatchFolderSource
{
    private static readonly string[] Extensions = [".png", ".pgm", ".ppm", ".bmp", ".raw"];
    private readonly WatchFolderSettings _settings;
    private readonly IImageSink _sink;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, Seen> _seen = new(StringComparer.Ordinal);
    private readonly string _journal;
    private HashSet<string> _imported = new(StringComparer.Ordinal);

    public WatchFolderSource(WatchFolderSettings settings, IImageSink sink, ILogger logger, TimeProvider? time = null)
    {
        _settings = settings;
        _sink = sink;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _journal = Path.Combine(settings.Path, ".gateway-imported");
    }

    public string DoneDir => Path.Combine(_settings.Path, "done");
    public string FailedDir => Path.Combine(_settings.Path, "failed");

    public Task RunAsync(CancellationToken ct) =>
        Task.Factory.StartNew(() => Run(ct), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken ct)
    {
        var ready = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!ready)
                {
                    LoadJournal();
                    ready = true;
                }
                Poll();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A share that went away, a stick pulled out: say so, keep polling.
                HardwareLog.WatchFolderError(_logger, _settings.Path, e.Message);
                ready = false;
            }
            ct.WaitHandle.WaitOne(_settings.PollMs);
        }
    }

    /// <summary>One look at the folder: imports every file that has been stable long enough. Public for tests.</summary>
    public void Poll()
    {
        Directory.CreateDirectory(DoneDir);
        Directory.CreateDirectory(FailedDir);
        var now = _time.GetUtcNow();
        var present = new HashSet<string>(StringComparer.Ordinal);
        // Files ready at the same look are taken in the order of their names (ordinal), so that a console exporting
        // IMG0001, IMG0002 … at once gets its Instance Numbers in that order, whatever order the directory lists them.
        foreach (var path in Directory.EnumerateFiles(_settings.Path).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            if (name.StartsWith('.') || !Extensions.Contains(Path.GetExtension(name).ToLowerInvariant()))
                continue;
            present.Add(name);
            var info = new FileInfo(path);
            var stamp = (info.Length, info.LastWriteTimeUtc.Ticks);
            if (_imported.Contains(Key(name, stamp)))
            {
                // Imported before a crash or a stop, not yet moved: finish the move, do not import it again.
                Move(path, DoneDir);
                continue;
            }
            if (!_seen.TryGetValue(name, out var seen) || seen.Stamp != stamp)
            {
                _seen[name] = new Seen(stamp, now);
                if (_settings.StableMs > 0)
                    continue;
                seen = _seen[name];
            }
            if (now - seen.Since < TimeSpan.FromMilliseconds(_settings.StableMs))
                continue;
            Import(path, name, stamp);
            _seen.Remove(name);
        }
        foreach (var gone in _seen.Keys.Where(k => !present.Contains(k)).ToList())
            _seen.Remove(gone);
    }

    private void Import(string path, string name, (long, long) stamp)
    {
        var sidecarPath = Path.ChangeExtension(path, ".json");
        ImportResult result;
        string? reason;
        try
        {
            var sidecar = File.Exists(sidecarPath) ? MetadataJson.Parse(File.ReadAllText(sidecarPath), Path.GetFileName(sidecarPath)) : null;
            var raw = _settings.Raw;
            var rawFormat = raw.Width is { } w && raw.Height is { } h
                ? new ImageFormat(w, h, raw.Samples ?? 1, (raw.BitsStored ?? 8) > 8 ? 16 : 8, raw.BitsStored ?? 8)
                : null;
            (result, reason) = _sink.Import(ImageReader.Open(path, rawFormat), sidecar);
        }
        catch (Exception e) when (e is ImageFormatException or DicomValueException)
        {
            (result, reason) = (ImportResult.Rejected, e.Message);
        }
        switch (result)
        {
            case ImportResult.Stored:
                AppendJournal(Key(name, stamp));
                Move(path, DoneDir);
                if (File.Exists(sidecarPath))
                    Move(sidecarPath, DoneDir);
                HardwareLog.Imported(_logger, LogText.Quote(name));
                break;
            case ImportResult.Rejected:
                var failed = Move(path, FailedDir);
                if (File.Exists(sidecarPath))
                    Move(sidecarPath, FailedDir);
                File.WriteAllText(failed + ".reason.txt", reason + Environment.NewLine);
                HardwareLog.ImportFailed(_logger, LogText.Quote(name), reason ?? "");
                break;
            case ImportResult.Deferred:
                // Left in place; the next stable look tries again.
                break;
        }
    }

    private static string Key(string name, (long Length, long Ticks) stamp) =>
        string.Create(CultureInfo.InvariantCulture, $"{stamp.Length}\t{stamp.Ticks}\t{name}");

    private void LoadJournal()
    {
        _imported = File.Exists(_journal) ? new HashSet<string>(File.ReadAllLines(_journal), StringComparer.Ordinal) : new(StringComparer.Ordinal);
        if (_imported.Count > 0)
        {
            Poll();
            // Everything recorded is now in done/: start a fresh journal.
            File.Delete(_journal);
            _imported.Clear();
        }
    }

    private void AppendJournal(string key)
    {
        using (var s = new FileStream(_journal, FileMode.Append, FileAccess.Write, FileShare.None))
        {
            s.Write(System.Text.Encoding.UTF8.GetBytes(key + "\n"));
            s.Flush(flushToDisk: true);
        }
        _imported.Add(key);
        if (_imported.Count > 1000)
        {
            File.Delete(_journal);
            _imported.Clear();
        }
    }

    /// <summary>Moves a file into <paramref name="dir"/> under its own name, or name-1, name-2 … when taken; returns the new path.</summary>
    private static string Move(string path, string dir)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        var ext = Path.GetExtension(path);
        var target = Path.Combine(dir, name + ext);
        for (var i = 1; File.Exists(target); i++)
            target = Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"{name}-{i}{ext}"));
        File.Move(path, target);
        return target;
    }

    private sealed record Seen((long Length, long Ticks) Stamp, DateTimeOffset Since);
}
