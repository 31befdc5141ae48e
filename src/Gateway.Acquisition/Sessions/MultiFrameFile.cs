using Gateway.Dicom.Imaging;
using Gateway.Hardware.Framing;

namespace Gateway.Acquisition.Sessions;

/// <summary>The frames of a multi-frame series so far, appended and fsync'd one by one (the device hears ACK after that).</summary>
internal sealed class MultiFrameFile(string path, ImageFormat format) : IDisposable
{
    private readonly FileStream _file = new(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
    private readonly List<DeviceValue> _values = [];

    public string Path { get; } = path;
    public ImageFormat Format { get; } = format;
    public int Count { get; private set; }

    /// <summary>The device values of the series (the last one of each keyword wins).</summary>
    public IReadOnlyList<DeviceValue> Values => _values;

    public void Append(byte[] pixels, IReadOnlyList<DeviceValue> values)
    {
        _file.Write(pixels);
        _file.Flush(flushToDisk: true);
        Count++;
        _values.AddRange(values);
    }

    public void Delete()
    {
        _file.Dispose();
        File.Delete(Path);
    }

    public void Dispose() => _file.Dispose();
}
