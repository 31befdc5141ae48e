using System.Globalization;
using System.Text.Json;
using Gateway.Spool;

namespace Gateway.Acquisition.Commitment;

/// <summary>
/// The modalities' pending Storage Commitment requests, durable (issue #18): <c>&lt;spool&gt;/commitment-requests/ID.json</c>,
/// one file per request, written atomically (temporary file 0600, fsync, rename, directory fsync; <see cref="AtomicFile"/>)
/// <b>before</b> the N-ACTION is answered success, rewritten on every attempt to report, deleted once the report was
/// delivered or given up. So a request survives a SIGKILL between the N-ACTION and the report. Names are ours; every file
/// is untrusted on read-back (size, JSON, UIDs, AE title, counts and times checked); an unusable one is moved to
/// <c>commitment-requests/unusable/</c> with the reason returned to the caller (logged), never used. Bounded:
/// <see cref="MaxPending"/> requests of at most <see cref="MaxInstances"/> instances each. Thread-safe.
/// </summary>
public sealed class CommitmentRequestQueue
{
    public const string DirectoryName = "commitment-requests";
    public const int MaxPending = 1000;
    public const int MaxInstances = 10_000;
    /// <summary>A request of <see cref="MaxInstances"/> instances is about 1.4 MB as written.</summary>
    public const long MaxFileBytes = 2L << 20;

    private readonly string _dir;
    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, CommitmentRequest> _requests = new(StringComparer.Ordinal);
    private long _sequence;

    public CommitmentRequestQueue(string spoolDirectory)
    {
        _dir = Path.Combine(spoolDirectory, DirectoryName);
        Directory.CreateDirectory(_dir);
    }

    public string DirectoryPath => _dir;

    public IReadOnlyList<CommitmentRequest> Pending
    {
        get
        {
            lock (_lock)
                return [.. _requests.Values];
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
                return _requests.Count;
        }
    }

    /// <summary>Reads every request file (at start); the problems of the unusable ones, each moved aside.</summary>
    public IReadOnlyList<string> Load()
    {
        var problems = new List<string>();
        var loaded = ReadAll(_dir, problems, moveAside: true);
        lock (_lock)
        {
            _requests.Clear();
            foreach (var r in loaded)
                _requests[r.Id] = r;
        }
        return problems;
    }

    /// <summary>The requests in a spool directory, read without changing anything (`gateway spool list` beside the service).</summary>
    public static IReadOnlyList<CommitmentRequest> Read(string spoolDirectory, List<string> problems)
    {
        var dir = Path.Combine(spoolDirectory, DirectoryName);
        return Directory.Exists(dir) ? ReadAll(dir, problems, moveAside: false) : [];
    }

    /// <summary>A new request's id: lexical order is arrival order.</summary>
    public string NewId(DateTimeOffset now) =>
        string.Create(CultureInfo.InvariantCulture, $"{now.UtcTicks:D19}-{Interlocked.Increment(ref _sequence) % 1_000_000:D6}");

    /// <summary>Adds or replaces a request durably. Throws <see cref="IOException"/> (nothing changed then).</summary>
    public void Put(CommitmentRequest request)
    {
        lock (_lock)
        {
            Write(request);
            _requests[request.Id] = request;
        }
    }

    /// <summary>Forgets a request (its report was delivered, or given up); durable before it returns.</summary>
    public void Remove(string id)
    {
        lock (_lock)
        {
            var path = PathOf(id);
            if (File.Exists(path))
            {
                File.Delete(path);
                Gateway.Shared.DirectoryFsync.Flush(_dir);
            }
            _requests.Remove(id);
        }
    }

    public CommitmentRequest? Find(string id)
    {
        lock (_lock)
            return _requests.GetValueOrDefault(id);
    }

    private string PathOf(string id) => Path.Combine(_dir, id + ".json");

    private void Write(CommitmentRequest r) =>
        AtomicFile.Write(PathOf(r.Id), file => JsonSerializer.Serialize(file, r, CommitmentRequestJson.Default.CommitmentRequest));

    // A temporary file a crash left is a write that never completed (its N-ACTION was never answered success); an
    // unusable file is set aside in unusable/ (AtomicFile.ReadAll).
    private static List<CommitmentRequest> ReadAll(string dir, List<string> problems, bool moveAside) =>
        AtomicFile.ReadAll(dir, file => (Parse(file, out var problem), problem), r => r.Id, problems, moveAside);

    internal static CommitmentRequest? Parse(string file, out string? problem)
    {
        problem = null;
        var stem = Path.GetFileNameWithoutExtension(file);
        if (!file.EndsWith(".json", StringComparison.Ordinal) || stem.Length != 26 || stem[19] != '-' || !stem.Remove(19, 1).All(char.IsAsciiDigit))
            return Fail("not a commitment request file name (TICKS-SEQ.json)", out problem);
        byte[] bytes;
        try
        {
            using var s = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (s.Length > MaxFileBytes)
                return Fail($"{s.Length} bytes, more than {MaxFileBytes}", out problem);
            bytes = new byte[s.Length];
            s.ReadExactly(bytes);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        CommitmentRequest? r;
        try
        {
            r = JsonSerializer.Deserialize(bytes, CommitmentRequestJson.Default.CommitmentRequest);
        }
        catch (JsonException e)
        {
            return Fail("not valid JSON: " + Gateway.Shared.LogText.Bounded(e.Message), out problem);
        }
        if (r is null)
            return Fail("empty", out problem);
        if (r.Id != stem)
            return Fail("its id is not its file name", out problem);
        if (!OutcomeLedger.IsUid(r.TransactionUid))
            return Fail("transactionUid is not a UID", out problem);
        if (r.CallingAE is not { Length: > 0 and <= 16 } || r.CallingAE.Any(c => char.IsControl(c) || c == '\\'))
            return Fail("callingAE is not an AE title", out problem);
        if (r.Instances is not { Count: > 0 and <= MaxInstances })
            return Fail($"instances: not 1 to {MaxInstances}", out problem);
        if (r.Instances.Any(i => i is null || !OutcomeLedger.IsUid(i.SopClassUid) || !OutcomeLedger.IsUid(i.SopInstanceUid)))
            return Fail("an instance's SOP Class or SOP Instance UID is not a UID", out problem);
        if (r.Attempts is < 0 or > 10_000)
            return Fail("attempts is not a count", out problem);
        var now = DateTimeOffset.UtcNow;
        if (r.Received > now + TimeSpan.FromDays(1) || r.Received < now - TimeSpan.FromDays(3650))
            return Fail("received is not a plausible time", out problem);
        // A next attempt far away (a clock that jumped, a hand edit) is brought back: a report never waits more than a day for it.
        var next = r.NextAttempt > now + TimeSpan.FromDays(1) ? now : r.NextAttempt;
        return r with { NextAttempt = next, LastError = r.LastError is { Length: > 1024 } e2 ? e2[..1024] : r.LastError };
    }

    private static CommitmentRequest? Fail(string why, out string? problem)
    {
        problem = why;
        return null;
    }
}
