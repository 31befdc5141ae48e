using System.Text.Json;
using Gateway.Dicom;

namespace Gateway.Acquisition.Worklist;

/// <summary>
/// The last good worklist on disk (issue #17): one file, replaced whole — written to a temporary file beside it with
/// mode 0600 (it holds patient names), fsync'd, renamed over the old one, the directory fsync'd (DESIGN.md "durable
/// means fsync'd"). Each match is kept as the RIS sent it (a Part 10 data set in Explicit VR Little Endian, base64 in
/// a small JSON envelope with the fetch time), so a list read back goes through the same reader and the same rule
/// (<see cref="WorklistItemReader"/>) as a fresh one. Read back as untrusted input: the size is bounded before
/// reading, the envelope checked field by field, each data set parsed by the defensive parser. Thread-safe for one
/// writer and any readers (a reader sees the old file or the new one, never a mix).
/// </summary>
public sealed class WorklistCache(string path)
{
    /// <summary>The file name in the spool directory.</summary>
    public const string FileName = "worklist.json";

    /// <summary>A larger file is not one we wrote (500 steps are about 1 MB).</summary>
    public const long MaxBytes = 32L << 20;

    public const int MaxItems = 10_000;

    /// <summary>The problem <see cref="TryLoad"/> gives when there is no file (not a fault: nothing was fetched yet).</summary>
    public const string NoneYet = "no worklist was fetched yet";

    private const int Version = 1;

    public string Path => path;

    /// <summary>Replaces the file with <paramref name="snapshot"/>'s items. Throws <see cref="IOException"/> (the old file then stays).</summary>
    public void Save(WorklistSnapshot snapshot)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        // A temporary file left by a crash mid-write is ours to remove (the spool's recovery only looks in tmp/).
        foreach (var left in Directory.EnumerateFiles(dir, "." + System.IO.Path.GetFileName(path) + ".*.tmp"))
            File.Delete(left);
        AtomicFile.Write(path, file =>
        {
            using (var w = new Utf8JsonWriter(file))
            {
                w.WriteStartObject();
                w.WriteNumber("version", Version);
                w.WriteString("fetchedAt", snapshot.FetchedAt);
                w.WriteStartArray("items");
                foreach (var item in snapshot.Items)
                {
                    using var bytes = new MemoryStream();
                    // The meta's SOP class and instance name the file, not a stored object (a worklist match has neither).
                    var meta = new DicomDataset()
                        .Set(DicomTags.MediaStorageSOPClassUID, DicomVR.UI, DicomUids.ModalityWorklistInformationModelFind)
                        .Set(DicomTags.MediaStorageSOPInstanceUID, DicomVR.UI, DicomUidGenerator.Default.NewUid());
                    new DicomFile(item.Identifier, DicomTransferSyntax.ExplicitVRLittleEndian, meta).WriteTo(bytes);
                    w.WriteBase64StringValue(bytes.GetBuffer().AsSpan(0, (int)bytes.Length));
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
        });
    }

    /// <summary>The list in the file, or null with <paramref name="problem"/> ("none yet" when there is no file).</summary>
    public WorklistSnapshot? TryLoad(out string problem)
    {
        problem = NoneYet;
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        using (file)
        {
            if (file.Length > MaxBytes)
            {
                problem = $"{path}: {file.Length} bytes, more than the {MaxBytes} a worklist file may have";
                return null;
            }
            try
            {
                using var doc = JsonDocument.Parse(file, new JsonDocumentOptions { MaxDepth = 4 });
                return Parse(doc.RootElement, out problem);
            }
            catch (JsonException e)
            {
                problem = $"{path}: not a worklist file ({e.Message})";
                return null;
            }
        }
    }

    private WorklistSnapshot? Parse(JsonElement root, out string problem)
    {
        problem = "";
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var version) || version != Version)
        {
            problem = $"{path}: not a worklist file of version {Version}";
            return null;
        }
        if (!root.TryGetProperty("fetchedAt", out var f) || f.ValueKind != JsonValueKind.String || !f.TryGetDateTimeOffset(out var fetchedAt))
        {
            problem = $"{path}: fetchedAt is missing or not a time";
            return null;
        }
        if (!root.TryGetProperty("items", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() > MaxItems)
        {
            problem = $"{path}: items is missing, not a list, or longer than {MaxItems}";
            return null;
        }
        var items = new List<WorklistItem>(list.GetArrayLength());
        var i = 0;
        foreach (var e in list.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.String || !e.TryGetBytesFromBase64(out var bytes))
            {
                problem = $"{path}: items[{i}] is not base64";
                return null;
            }
            try
            {
                items.Add(WorklistItemReader.Read(DicomFile.Read(new MemoryStream(bytes, writable: false)).Dataset));
            }
            catch (Exception x) when (x is DicomFormatException or DicomValueException or EndOfStreamException or NotSupportedException)
            {
                problem = $"{path}: items[{i}] is not a DICOM data set ({x.Message})";
                return null;
            }
            i++;
        }
        return new WorklistSnapshot(items, fetchedAt);
    }
}
