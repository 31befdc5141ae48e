using System.Globalization;
using System.Text.Json;
using Gateway.Dicom;
using Gateway.Dicom.Iod;

namespace Gateway.Acquisition.Exams;

/// <summary>
/// The MPPS messages, durable like the spool's objects (issue #17): <c>&lt;spool&gt;/mpps/&lt;exam&gt;-&lt;step&gt;.json</c>,
/// one file per message (step 1 the N-CREATE, step 2 the final N-SET), each written to a temporary file (mode 0600),
/// fsync'd, renamed into place, the directory fsync'd — before it is sent, and again on every change of its state.
/// Names are ours (numbers), never taken from a message. Messages are sent strictly in name order (exam after exam,
/// the N-CREATE before its N-SET): <see cref="NextDue"/> gives the oldest message not yet sent, and only when it is
/// due, so nothing overtakes a message in back-off. A refused message is <see cref="MppsState.Failed"/> and, with it,
/// every later message of its exam (an N-SET never goes before its N-CREATE succeeded); other exams go on. Sent
/// messages are kept (the page and `gateway spool list` show them) up to <see cref="KeepSent"/>. A file that cannot be
/// read back is moved to <c>mpps/unusable/</c> with the reason logged by the caller. Thread-safe.
/// </summary>
public sealed class MppsQueue
{
    public const string DirectoryName = "mpps";
    /// <summary>Room for the final N-SET of the largest exam a record may hold (ExamFile.MaxInstances references).</summary>
    public const long MaxFileBytes = 2 * ExamFile.MaxBytes;
    public const int KeepSent = 50;

    private readonly string _dir;
    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, MppsMessage> _messages = new(StringComparer.Ordinal);

    public MppsQueue(string spoolDirectory)
    {
        _dir = Path.Combine(spoolDirectory, DirectoryName);
        Directory.CreateDirectory(_dir);
    }

    public string DirectoryPath => _dir;

    /// <summary>Raised after a message was queued or put back to pending (the sender wakes).</summary>
    public event Action? Changed;

    public IReadOnlyList<MppsMessage> Messages
    {
        get
        {
            lock (_lock)
                return [.. _messages.Values];
        }
    }

    /// <summary>Reads every message file; the problems of the unusable ones (each moved aside).</summary>
    public IReadOnlyList<string> Load()
    {
        var problems = new List<string>();
        var loaded = ReadAll(_dir, problems, moveAside: true);
        lock (_lock)
        {
            _messages.Clear();
            foreach (var m in loaded)
                _messages[m.Id] = m;
        }
        return problems;
    }

    /// <summary>The messages in a spool directory, read without changing anything (`gateway spool list` beside the service).</summary>
    public static IReadOnlyList<MppsMessage> Read(string spoolDirectory, List<string> problems)
    {
        var dir = Path.Combine(spoolDirectory, DirectoryName);
        return Directory.Exists(dir) ? ReadAll(dir, problems, moveAside: false) : [];
    }

    public bool Contains(string id)
    {
        lock (_lock)
            return _messages.ContainsKey(id);
    }

    public MppsMessage? Find(string id)
    {
        lock (_lock)
            return _messages.GetValueOrDefault(id);
    }

    /// <summary>Queues a new message durably (an existing one of that id stays as it is: queuing is idempotent).</summary>
    public void Add(MppsMessage message)
    {
        lock (_lock)
        {
            if (_messages.ContainsKey(message.Id))
                return;
            // Never after a refused message of its exam (the N-SET of an N-CREATE that failed): held with it.
            if (message.State == MppsState.Pending && _messages.Values.FirstOrDefault(m => m.Exam == message.Exam && m.State == MppsState.Failed) is { } refused)
                message = message with { State = MppsState.Failed, LastError = $"not sent: {refused.Command} of this exam was refused ({refused.LastError})" };
            Write(message);
            _messages[message.Id] = message;
            Prune();
        }
        Changed?.Invoke();
    }

    /// <summary>The oldest message not yet sent, when it is due and may go (null: nothing to send now).</summary>
    public MppsMessage? NextDue(DateTimeOffset now)
    {
        lock (_lock)
        {
            foreach (var m in _messages.Values)
            {
                if (m.State != MppsState.Pending)
                    continue;
                return m.NextAttempt <= now ? m : null;
            }
            return null;
        }
    }

    /// <summary>When the oldest pending message falls due (null: none).</summary>
    public DateTimeOffset? NextAttemptTime()
    {
        lock (_lock)
            return _messages.Values.FirstOrDefault(m => m.State == MppsState.Pending)?.NextAttempt;
    }

    /// <summary>Replaces a message's state durably; a refusal fails every later message of its exam too.</summary>
    public void Update(MppsMessage message)
    {
        lock (_lock)
        {
            Write(message);
            _messages[message.Id] = message;
            if (message.State == MppsState.Failed)
            {
                foreach (var later in _messages.Values.Where(m => m.Exam == message.Exam && m.State == MppsState.Pending && string.CompareOrdinal(m.Id, message.Id) > 0).ToList())
                {
                    var held = later with { State = MppsState.Failed, LastError = $"not sent: {message.Command} of this exam was refused ({message.LastError})" };
                    Write(held);
                    _messages[held.Id] = held;
                }
            }
            Prune();
        }
    }

    /// <summary>Failed messages back to pending (all, or one exam's); how many. The operator's answer to a refusal that was fixed.</summary>
    public int Retry(long? exam = null)
    {
        var n = 0;
        lock (_lock)
        {
            foreach (var m in _messages.Values.Where(m => m.State == MppsState.Failed && (exam is null || m.Exam == exam)).ToList())
            {
                var again = m with { State = MppsState.Pending, NextAttempt = DateTimeOffset.MinValue };
                Write(again);
                _messages[again.Id] = again;
                n++;
            }
        }
        if (n > 0)
            Changed?.Invoke();
        return n;
    }

    /// <summary>Sent messages beyond <see cref="KeepSent"/> go, oldest first (never a pending or failed one).</summary>
    private void Prune()
    {
        var sent = _messages.Values.Where(m => m.State == MppsState.Sent).ToList();
        foreach (var old in sent.Take(Math.Max(0, sent.Count - KeepSent)))
        {
            File.Delete(PathOf(old.Id));
            _messages.Remove(old.Id);
        }
    }

    private string PathOf(string id) => Path.Combine(_dir, id + ".json");

    private void Write(MppsMessage m)
    {
        AtomicFile.Write(PathOf(m.Id), file =>
        {
            using (var w = new Utf8JsonWriter(file, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                w.WriteStartObject();
                w.WriteNumber("version", 1);
                w.WriteString("id", m.Id);
                w.WriteNumber("exam", m.Exam);
                w.WriteString("command", m.Command);
                w.WriteString("ppsUid", m.PpsUid);
                w.WriteString("status", m.Status);
                w.WriteString("state", m.State.ToString().ToLowerInvariant());
                w.WriteNumber("attempts", m.Attempts);
                w.WriteNumber("sent", m.Sent);
                w.WriteString("created", m.Created);
                w.WriteString("nextAttempt", m.NextAttempt);
                w.WriteString("lastError", m.LastError);
                w.WritePropertyName("dataset");
                KeywordJson.Write(w, m.Dataset);
                w.WriteEndObject();
            }
        });
    }

    // A temporary file a crash left is a write that never completed; an unusable file is set aside in unusable/
    // (AtomicFile.ReadAll).
    private static List<MppsMessage> ReadAll(string dir, List<string> problems, bool moveAside) =>
        AtomicFile.ReadAll(dir, file => (Parse(file, out var problem), problem), r => r.Id, problems, moveAside);

    private static MppsMessage? Parse(string file, out string? problem)
    {
        problem = null;
        var stem = Path.GetFileNameWithoutExtension(file);
        if (!file.EndsWith(".json", StringComparison.Ordinal) || stem.Length != 12 || stem[10] != '-' || !stem[..10].All(char.IsAsciiDigit) || stem[11] is not ('1' or '2'))
        {
            problem = "not an MPPS message file name (NNNNNNNNNN-1.json or -2.json)";
            return null;
        }
        byte[] bytes;
        try
        {
            using var s = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (s.Length > MaxFileBytes)
            {
                problem = $"{s.Length} bytes, more than {MaxFileBytes}";
                return null;
            }
            bytes = new byte[s.Length];
            s.ReadExactly(bytes);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
            var r = doc.RootElement;
            string? Text(string n) => r.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            if (r.ValueKind != JsonValueKind.Object || !r.TryGetProperty("version", out var ver) || ver.ValueKind != JsonValueKind.Number || ver.GetInt32() != 1)
                return Fail("not an MPPS message of version 1", out problem);
            if (Text("id") != stem)
                return Fail("its id is not its file name", out problem);
            if (!r.TryGetProperty("exam", out var e) || e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out var exam) || MppsMessage.IdOf(exam, stem[11] - '0') != stem)
                return Fail("exam does not match the file name", out problem);
            var command = Text("command");
            if (command != (stem[11] == '1' ? MppsMessage.Create : MppsMessage.Set))
                return Fail("command does not match the step of the file name", out problem);
            var status = Text("status");
            if (status is not ("IN PROGRESS" or "COMPLETED" or "DISCONTINUED"))
                return Fail("status is not IN PROGRESS, COMPLETED or DISCONTINUED", out problem);
            var pps = Text("ppsUid");
            if (pps is null || DicomUid.Validate(pps) is not null)
                return Fail("ppsUid is not a UID", out problem);
            if (!Enum.TryParse<MppsState>(Text("state"), ignoreCase: true, out var state) || !Enum.IsDefined(state))
                return Fail("state is not pending, sent or failed", out problem);
            if (!r.TryGetProperty("attempts", out var a) || a.ValueKind != JsonValueKind.Number || !a.TryGetInt32(out var attempts) || attempts < 0)
                return Fail("attempts is not a count", out problem);
            var sent = 0; // absent in files written before it was counted
            if (r.TryGetProperty("sent", out var sn) && (sn.ValueKind != JsonValueKind.Number || !sn.TryGetInt32(out sent) || sent < 0 || sent > attempts))
                return Fail("sent is not a count of at most attempts", out problem);
            if (!r.TryGetProperty("created", out var c) || !c.TryGetDateTimeOffset(out var created) || !r.TryGetProperty("nextAttempt", out var na) || !na.TryGetDateTimeOffset(out var next))
                return Fail("created or nextAttempt is not a time", out problem);
            var lastError = Text("lastError");
            if (lastError is { Length: > 1024 })
                lastError = lastError[..1024];
            if (!r.TryGetProperty("dataset", out var d) || d.ValueKind != JsonValueKind.Object)
                return Fail("dataset is missing", out problem);
            var dataset = MetadataJson.Parse(d.GetRawText(), "dataset");
            return new MppsMessage
            {
                Id = stem,
                Exam = exam,
                Command = command,
                PpsUid = pps,
                Status = status,
                Dataset = dataset,
                State = state,
                Attempts = attempts,
                Sent = sent,
                Created = created,
                NextAttempt = next,
                LastError = lastError,
            };
        }
        catch (Exception x) when (x is JsonException or DicomValueException or InvalidOperationException or FormatException)
        {
            problem = x.Message;
            return null;
        }
    }

    private static MppsMessage? Fail(string why, out string? problem)
    {
        problem = why;
        return null;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"MPPS queue {_dir}");
}
