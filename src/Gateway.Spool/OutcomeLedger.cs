using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Spool;

/// <summary>What became of an object whose entry left the spool.</summary>
public enum ObjectOutcome
{
    /// <summary>Every destination confirmed it (C-STORE success, or committed where commitment is on).</summary>
    Delivered,
    /// <summary>A dead letter at one destination at least, purged by an operator: never delivered there.</summary>
    Dead,
    /// <summary>Found corrupt (checksum, missing payload) and moved to quarantine: never delivered.</summary>
    Lost,
}

/// <summary>One line of the ledger: an object received, and its outcome when its entry left the spool.</summary>
/// <param name="Detail">Why it is dead or lost (bounded), null when delivered.</param>
public sealed record OutcomeRecord(string SopInstanceUid, string SopClassUid, string Source, string EntryId, DateTimeOffset Time, ObjectOutcome Outcome, string? Detail = null);

/// <summary>
/// The durable record of what became of objects once their spool entry is gone (issue #18, the Storage Commitment SCP:
/// a modality may ask about an instance minutes after it was delivered and forgotten). Append-only segment files
/// <c>&lt;spool&gt;/outcomes/outcomes-TICKS.log</c>, one JSON line per object, each appended and fsync'd <b>before</b>
/// the entry's state file is deleted (so an object is always either in the spool or here). A process start opens a new
/// segment (a line torn by a crash is never appended to); segments are rotated at <see cref="SegmentBytes"/>, and a
/// closed one is deleted once its newest line is older than the retention, or when all together exceed
/// <see cref="MaxBytes"/> (oldest first). On read-back every line is untrusted: its length, JSON, UIDs, times and
/// outcome are checked and a bad line is skipped and counted (never fatal). The newest delivered record of an instance
/// wins over a dead or lost one (it reached every destination once). Thread-safe.
/// </summary>
public sealed class OutcomeLedger : IDisposable
{
    /// <summary>A line longer than this is not ours.</summary>
    public const int MaxLineBytes = 2048;
    /// <summary>A segment is closed and a new one begun past this size.</summary>
    public const long SegmentBytes = 1L << 20;
    /// <summary>All segments together (about 80,000 objects, ~12 MB of index in memory); the oldest go first beyond it.</summary>
    public const long MaxBytes = 16L << 20;
    private const int MaxDetail = 300;

    private readonly string _directory;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (OutcomeRecord Record, string Segment)> _index = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Bytes, DateTimeOffset Newest)> _segments = new(StringComparer.Ordinal);
    private FileStream? _current;
    private string? _currentName;
    private DateTimeOffset _lastPrune;

    public OutcomeLedger(string directory, TimeSpan retention, TimeProvider? time = null)
    {
        _directory = directory;
        _retention = retention;
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(directory);
    }

    public string DirectoryPath => _directory;

    /// <summary>Instances the ledger knows.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
                return _index.Count;
        }
    }

    /// <summary>Reads every segment (at start, before the first append) and prunes; returns what was wrong with the files (bounded).</summary>
    public IReadOnlyList<string> Load()
    {
        var problems = new List<string>();
        var bad = 0;
        lock (_lock)
        {
            _index.Clear();
            _segments.Clear();
            foreach (var path in Directory.EnumerateFiles(_directory, "outcomes-*.log").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(path);
                long bytes;
                var newest = DateTimeOffset.MinValue;
                try
                {
                    bytes = new FileInfo(path).Length;
                    foreach (var (line, number) in Lines(path))
                    {
                        if (Parse(line) is { } record)
                        {
                            Index(record, name);
                            if (record.Time > newest)
                                newest = record.Time;
                        }
                        else if (bad++ < 5)
                            problems.Add($"{name} line {number}: not a valid outcome record (skipped)");
                    }
                }
                catch (IOException e)
                {
                    problems.Add($"{name}: cannot be read ({e.Message}); left in place");
                    continue;
                }
                _segments[name] = (bytes, newest);
            }
            Prune();
        }
        if (bad > 5)
            problems.Add($"{bad - 5} more invalid line(s)");
        return problems;
    }

    /// <summary>The lines of a segment with their numbers; a line over the limit is yielded empty (invalid), a last line without its newline is a torn write (invalid).</summary>
    private static IEnumerable<(string Line, int Number)> Lines(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        var buffer = new byte[MaxLineBytes + 1];
        var length = 0;
        var number = 0;
        var tooLong = false;
        int b;
        while ((b = stream.ReadByte()) >= 0)
        {
            if (b == '\n')
            {
                number++;
                yield return (tooLong ? "" : Encoding.UTF8.GetString(buffer, 0, length), number);
                length = 0;
                tooLong = false;
                continue;
            }
            if (length < buffer.Length)
                buffer[length++] = (byte)b;
            else
                tooLong = true;
        }
        if (length > 0 || tooLong)
            yield return ("", number + 1); // torn by a crash: never a record
    }

    private OutcomeRecord? Parse(string line)
    {
        if (line.Length == 0)
            return null;
        Line? l;
        try
        {
            l = JsonSerializer.Deserialize(line, OutcomeJson.Default.Line);
        }
        catch (JsonException)
        {
            return null;
        }
        if (l is null || !IsUid(l.Uid) || !IsUid(l.Class) || l.Source is not { Length: > 0 and <= 80 } || l.Entry is not { Length: > 0 and <= 80 }
            || l.Detail is { Length: > MaxDetail } || !Enum.IsDefined(l.Outcome))
            return null;
        var now = _time.GetUtcNow();
        if (l.At > now + TimeSpan.FromDays(1) || l.At < now - TimeSpan.FromDays(3650))
            return null;
        return new OutcomeRecord(l.Uid!, l.Class!, l.Source, l.Entry, l.At, l.Outcome, l.Detail);
    }

    /// <summary>A DICOM UID as PS3.5 §9.1 allows: 1 to 64 digits and dots.</summary>
    public static bool IsUid([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? s) =>
        s is { Length: > 0 and <= 64 } && s.All(c => c is >= '0' and <= '9' or '.') && s[0] != '.' && s[^1] != '.';

    private void Index(OutcomeRecord record, string segment)
    {
        if (_index.TryGetValue(record.SopInstanceUid, out var known) && known.Record.Outcome == ObjectOutcome.Delivered && record.Outcome != ObjectOutcome.Delivered)
            return; // it reached every destination once: a later copy's fate does not undo that
        _index[record.SopInstanceUid] = (record, segment);
    }

    /// <summary>What the ledger knows of <paramref name="sopInstanceUid"/>, or null.</summary>
    public OutcomeRecord? Find(string sopInstanceUid)
    {
        lock (_lock)
            return _index.TryGetValue(sopInstanceUid, out var hit) ? hit.Record : null;
    }

    /// <summary>Appends a record durably (write, fsync; a new segment's directory fsync'd). Throws <see cref="IOException"/>: nothing is then known of it.</summary>
    public void Append(OutcomeRecord record)
    {
        var detail = record.Detail is { Length: > MaxDetail } d ? d[..MaxDetail] : record.Detail;
        var line = JsonSerializer.SerializeToUtf8Bytes(new Line
        {
            Uid = record.SopInstanceUid, Class = record.SopClassUid, Source = record.Source.Length > 80 ? record.Source[..80] : record.Source,
            Entry = record.EntryId, At = record.Time, Outcome = record.Outcome, Detail = detail,
        }, OutcomeJson.Default.Line);
        if (line.Length >= MaxLineBytes)
            throw new IOException($"an outcome record of {line.Length} bytes is over the limit of {MaxLineBytes}");
        lock (_lock)
        {
            if (_current is null || _current.Length + line.Length + 1 > SegmentBytes)
                Rotate();
            var start = _current!.Length;
            try
            {
                _current.Write(line);
                _current.WriteByte((byte)'\n');
                _current.Flush(flushToDisk: true);
            }
            catch (IOException)
            {
                // A part written and not synced may stay: it is a torn line (skipped on read-back). The next write
                // starts a new segment so it never continues a torn line.
                CloseCurrent(start);
                throw;
            }
            var stored = record with { Detail = detail };
            Index(stored, _currentName!);
            var (bytes, newest) = _segments.GetValueOrDefault(_currentName!);
            _segments[_currentName!] = (bytes + line.Length + 1, stored.Time > newest ? stored.Time : newest);
            if (_time.GetUtcNow() - _lastPrune > TimeSpan.FromHours(1))
                Prune();
        }
    }

    private void CloseCurrent(long truncateTo = -1)
    {
        try
        {
            if (truncateTo >= 0)
                _current?.SetLength(truncateTo);
        }
        catch (IOException)
        {
        }
        _current?.Dispose();
        _current = null;
        _currentName = null;
    }

    private void Rotate()
    {
        CloseCurrent();
        var now = _time.GetUtcNow();
        var name = string.Create(CultureInfo.InvariantCulture, $"outcomes-{now.UtcTicks:D19}.log");
        while (_segments.ContainsKey(name) || File.Exists(Path.Combine(_directory, name)))
            name = string.Create(CultureInfo.InvariantCulture, $"outcomes-{now.UtcTicks + Random.Shared.Next(1, 1000):D19}.log");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        _current = new FileStream(Path.Combine(_directory, name), options);
        _currentName = name;
        Gateway.Shared.DirectoryFsync.Flush(_directory);
        _segments[name] = (0, DateTimeOffset.MinValue);
        Prune();
    }

    /// <summary>Deletes closed segments past the retention, then the oldest while all together exceed <see cref="MaxBytes"/>.</summary>
    private void Prune()
    {
        var now = _time.GetUtcNow();
        _lastPrune = now;
        var closed = _segments.Keys.Where(n => n != _currentName).Order(StringComparer.Ordinal).ToList();
        var total = _segments.Values.Sum(s => s.Bytes);
        var removed = false;
        foreach (var name in closed)
        {
            var (bytes, newest) = _segments[name];
            if (now - newest < _retention && total <= MaxBytes)
                continue;
            try
            {
                File.Delete(Path.Combine(_directory, name));
            }
            catch (IOException)
            {
                continue; // tried again at the next prune
            }
            _segments.Remove(name);
            total -= bytes;
            removed = true;
            foreach (var uid in _index.Where(kv => kv.Value.Segment == name).Select(kv => kv.Key).ToList())
                _index.Remove(uid);
        }
        if (removed)
            Gateway.Shared.DirectoryFsync.Flush(_directory);
    }

    public void Dispose()
    {
        lock (_lock)
            CloseCurrent();
    }

    /// <summary>The line as written (short keys keep a line near 250 bytes).</summary>
    internal sealed class Line
    {
        [JsonPropertyName("uid")] public string? Uid { get; set; }
        [JsonPropertyName("class")] public string? Class { get; set; }
        [JsonPropertyName("source")] public string? Source { get; set; }
        [JsonPropertyName("entry")] public string? Entry { get; set; }
        [JsonPropertyName("at")] public DateTimeOffset At { get; set; }
        [JsonPropertyName("outcome")] public ObjectOutcome Outcome { get; set; }
        [JsonPropertyName("detail")] public string? Detail { get; set; }
    }
}

[JsonSerializable(typeof(OutcomeLedger.Line))]
[JsonSourceGenerationOptions(UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class OutcomeJson : JsonSerializerContext;
