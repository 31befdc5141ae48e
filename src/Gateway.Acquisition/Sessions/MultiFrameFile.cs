using System.Text.Json;
using Gateway.Dicom;
using Gateway.Dicom.Imaging;
using Gateway.Hardware.Framing;

namespace Gateway.Acquisition.Sessions;

/// <summary>What a frames file needs to become its object after a restart: the layout, the series, the exam, the device values.</summary>
public sealed record SeriesManifest(string StudyInstanceUid, string SeriesInstanceUid, int SeriesNumber,
    IReadOnlyDictionary<string, string> Exam, IReadOnlyList<DeviceValue> Values)
{
    public int Columns { get; init; }
    public int Rows { get; init; }
    public int Samples { get; init; }
    public int BitsAllocated { get; init; }
    public int BitsStored { get; init; }
    public bool Inverted { get; init; }
    /// <summary>The exam the series was begun in (null: none recorded, or written before exams were numbered).</summary>
    public long? ExamNumber { get; init; }
}

/// <summary>
/// The frames of a multi-frame series so far, appended and fsync'd one by one (the device hears ACK after that), with a
/// manifest written first ("NAME.frames.json"). Frames are whole or absent: the count is the length over the frame
/// size, so a frame torn by a crash (never acknowledged) is left out.
/// </summary>
internal sealed class MultiFrameFile : IDisposable
{
    private readonly FileStream? _file;
    private readonly List<DeviceValue> _values = [];

    private MultiFrameFile(string path, SeriesManifest manifest, FileStream? file, int count)
    {
        Path = path;
        Manifest = manifest;
        Format = new ImageFormat(manifest.Columns, manifest.Rows, manifest.Samples, manifest.BitsAllocated, manifest.BitsStored) { Inverted = manifest.Inverted };
        _file = file;
        Count = count;
        _values.AddRange(manifest.Values);
    }

    public string Path { get; }
    public SeriesManifest Manifest { get; }
    public ImageFormat Format { get; }
    public int Count { get; private set; }

    /// <summary>The device values of the series (the last one of each keyword wins).</summary>
    public IReadOnlyList<DeviceValue> Values => _values;

    private static string ManifestPath(string path) => path + ".json";

    public static MultiFrameFile Create(string path, ImageFormat format, SeriesManifest manifest)
    {
        manifest = manifest with
        {
            Columns = format.Columns, Rows = format.Rows, Samples = format.SamplesPerPixel,
            BitsAllocated = format.BitsAllocated, BitsStored = format.BitsStored, Inverted = format.Inverted,
        };
        using (var s = new FileStream(ManifestPath(path), FileMode.CreateNew, FileAccess.Write))
        {
            JsonSerializer.Serialize(s, manifest);
            s.Flush(flushToDisk: true);
        }
        return new MultiFrameFile(path, manifest, new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16), 0);
    }

    /// <summary>A frames file left by an earlier run (read only), or null when its manifest is unreadable.</summary>
    public static MultiFrameFile? Open(string path)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize<SeriesManifest>(File.ReadAllText(ManifestPath(path)));
            if (manifest is null || manifest.Columns <= 0 || manifest.Rows <= 0)
                return null;
            var collected = new MultiFrameFile(path, manifest, null, 0);
            collected.Count = File.Exists(path) ? (int)(new FileInfo(path).Length / collected.Format.FrameLength) : 0;
            return collected;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    public void Append(byte[] pixels, IReadOnlyList<DeviceValue> values)
    {
        _file!.Write(pixels);
        _file.Flush(flushToDisk: true);
        Count++;
        _values.AddRange(values);
    }

    public void Delete()
    {
        _file?.Dispose();
        File.Delete(Path);
        File.Delete(ManifestPath(Path));
    }

    public void Dispose() => _file?.Dispose();

    /// <summary>The text elements of an exam, by keyword (values joined by '\').</summary>
    public static Dictionary<string, string> Texts(DicomDataset exam)
    {
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in exam)
        {
            if (item is DicomElement && exam.TryGetString(item.Tag) is { } value)
                texts[DicomDictionary.KeywordOf(item.Tag)] = value;
        }
        return texts;
    }

    public static DicomDataset Dataset(IReadOnlyDictionary<string, string> texts)
    {
        var ds = new DicomDataset();
        foreach (var (keyword, value) in texts)
        {
            if (DicomDictionary.Find(keyword) is { } entry)
                ds.Set(entry.Tag, entry.VR, value.Split('\\'));
        }
        return ds;
    }
}
