using System.Globalization;
using System.Text;
using System.Text.Json;
using Gateway.Dicom;
using Gateway.Dicom.Iod;

namespace Gateway.Acquisition.Exams;

/// <summary>
/// <c>&lt;spool&gt;/exam.json</c> (issue #17): the <see cref="ExamRecord"/>, replaced whole on every change — a
/// temporary file beside it (mode 0600: it holds the patient's name), fsync'd, renamed over the old one, the directory
/// fsync'd. Read back as untrusted input: the size is bounded before reading, every field checked (UIDs, lengths,
/// counts), the attributes parsed by the same strict reader as the configuration's exam (<see cref="MetadataJson"/>).
/// A file that fails any check is not used at all (<see cref="TryLoad"/> says why): no exam is better than a wrong one.
/// Format (version 1): <c>{"version":1, "number":N, "source":"worklist|manual|configuration|none", "stepKey":…,
/// "attributes":{keyword: value…}, "ppsUid":…, "ppsId":…, "started":ISO-8601, "mppsCreated":bool,
/// "instances":[{"sopClass":…, "sopInstance":…, "series":…, "committed":bool}]}</c>.
/// </summary>
public sealed class ExamFile(string path)
{
    public const string FileName = "exam.json";

    /// <summary>A larger file is not ours (100 000 instances are about 25 MB).</summary>
    public const long MaxBytes = 32L << 20;

    public const int MaxInstances = 100_000;

    private const int Version = 1;

    public string Path => path;

    /// <summary>Replaces the file durably; throws <see cref="IOException"/> (the old file then stays).</summary>
    public void Save(ExamRecord record)
    {
        AtomicFile.Write(path, file =>
        {
            using (var w = new Utf8JsonWriter(file, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                w.WriteStartObject();
                w.WriteNumber("version", Version);
                w.WriteNumber("number", record.Number);
                w.WriteString("source", record.Source);
                w.WriteString("stepKey", record.StepKey);
                w.WritePropertyName("attributes");
                KeywordJson.Write(w, record.Attributes);
                w.WriteString("ppsUid", record.PpsUid);
                w.WriteString("ppsId", record.PpsId);
                if (record.Started is { } started)
                    w.WriteString("started", started);
                else
                    w.WriteNull("started");
                w.WriteBoolean("mppsCreated", record.MppsCreated);
                w.WriteStartArray("instances");
                foreach (var i in record.Instances)
                {
                    w.WriteStartObject();
                    w.WriteString("sopClass", i.SopClassUid);
                    w.WriteString("sopInstance", i.SopInstanceUid);
                    w.WriteString("series", i.SeriesInstanceUid);
                    w.WriteBoolean("committed", i.Committed);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
        });
    }

    /// <summary>The record in the file; null with <paramref name="problem"/> null when there is none, else why it is unusable.</summary>
    public ExamRecord? TryLoad(out string? problem)
    {
        problem = null;
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        if (Directory.Exists(dir))
        {
            // A temporary file left by a crash mid-write never became the record.
            foreach (var left in Directory.EnumerateFiles(dir, "." + System.IO.Path.GetFileName(path) + ".*.tmp"))
                File.Delete(left);
        }
        byte[] bytes;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (file.Length > MaxBytes)
            {
                problem = $"{file.Length} bytes, more than the {MaxBytes} an exam file may have";
                return null;
            }
            bytes = new byte[file.Length];
            file.ReadExactly(bytes);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
            return Parse(doc.RootElement, out problem);
        }
        catch (JsonException e)
        {
            problem = $"not an exam file ({e.Message})";
            return null;
        }
        catch (DicomValueException e)
        {
            problem = $"attributes: {e.Message}";
            return null;
        }
    }

    /// <summary>Moves an unusable file aside (kept for the engineer, never read again); the new name, or null when it could not be moved.</summary>
    public string? SetAside(DateTimeOffset now)
    {
        var aside = path + ".unusable-" + now.UtcDateTime.ToString("yyyyMMddTHHmmssfff", CultureInfo.InvariantCulture);
        try
        {
            File.Move(path, aside);
            Gateway.Shared.DirectoryFsync.Flush(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
            return aside;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static ExamRecord? Parse(JsonElement root, out string? problem)
    {
        problem = null;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var version) || version != Version)
            return Fail($"not an exam file of version {Version}", out problem);
        if (!root.TryGetProperty("number", out var n) || n.ValueKind != JsonValueKind.Number || !n.TryGetInt64(out var number) || number < 0)
            return Fail("number is missing or not a non-negative integer", out problem);
        var source = Text(root, "source");
        if (source is not (ExamRecord.None or ExamRecord.FromWorklist or ExamRecord.Manual or ExamRecord.FromConfiguration))
            return Fail("source is not none, worklist, manual or configuration", out problem);
        var stepKey = Text(root, "stepKey");
        if (stepKey is not null && (stepKey.Length > 64 || !stepKey.All(char.IsAsciiHexDigitLower)))
            return Fail("stepKey is not a step key", out problem);
        if (source == ExamRecord.FromWorklist && stepKey is null)
            return Fail("a worklist exam without its stepKey", out problem);
        if (!root.TryGetProperty("attributes", out var a) || a.ValueKind != JsonValueKind.Object)
            return Fail("attributes is missing or not an object", out problem);
        var attributes = MetadataJson.Parse(a.GetRawText(), "attributes");
        if (attributes.TryGetString(DicomTags.StudyInstanceUID) is { } study && DicomUid.Validate(study) is { } sp)
            return Fail($"attributes: StudyInstanceUID is not a UID ({sp})", out problem);
        var ppsUid = Text(root, "ppsUid");
        var ppsId = Text(root, "ppsId");
        DateTimeOffset? started = null;
        if (root.TryGetProperty("started", out var s) && s.ValueKind != JsonValueKind.Null)
        {
            if (s.ValueKind != JsonValueKind.String || !s.TryGetDateTimeOffset(out var t))
                return Fail("started is not a time", out problem);
            started = t;
        }
        if ((ppsUid is null) != (started is null) || (ppsId is null) != (started is null))
            return Fail("ppsUid, ppsId and started are set together or not at all", out problem);
        if (ppsUid is not null && DicomUid.Validate(ppsUid) is { } pp)
            return Fail($"ppsUid is not a UID ({pp})", out problem);
        if (ppsId is not null && (ppsId.Length is 0 or > 16 || ppsId.Any(c => c is '\\' || char.IsControl(c))))
            return Fail("ppsId is not a Performed Procedure Step ID (SH)", out problem);
        var created = root.TryGetProperty("mppsCreated", out var m) && m.ValueKind == JsonValueKind.True;
        if (!root.TryGetProperty("instances", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() > MaxInstances)
            return Fail($"instances is missing, not a list, or longer than {MaxInstances}", out problem);
        var instances = new List<ExamInstance>(list.GetArrayLength());
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        foreach (var e in list.EnumerateArray())
        {
            var cls = e.ValueKind == JsonValueKind.Object ? Text(e, "sopClass") : null;
            var inst = e.ValueKind == JsonValueKind.Object ? Text(e, "sopInstance") : null;
            var series = e.ValueKind == JsonValueKind.Object ? Text(e, "series") : null;
            if (cls is null || inst is null || series is null || DicomUid.Validate(cls) is not null || DicomUid.Validate(inst) is not null || DicomUid.Validate(series) is not null
                || !e.TryGetProperty("committed", out var c) || c.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                return Fail($"instances[{i}] is not an instance (sopClass, sopInstance, series UIDs and committed)", out problem);
            if (!seen.Add(inst))
                return Fail($"instances[{i}] is listed twice", out problem);
            instances.Add(new ExamInstance(cls, inst, series, c.ValueKind == JsonValueKind.True));
            i++;
        }
        if (started is null && (instances.Count > 0 || created))
            return Fail("instances or an MPPS without a start", out problem);
        return new ExamRecord
        {
            Number = number,
            Source = source,
            StepKey = stepKey,
            Attributes = attributes,
            PpsUid = ppsUid,
            PpsId = ppsId,
            Started = started,
            MppsCreated = created,
            Instances = instances,
        };
    }

    private static string? Text(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static ExamRecord? Fail(string why, out string? problem)
    {
        problem = why;
        return null;
    }
}
