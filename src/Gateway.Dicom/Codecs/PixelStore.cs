using Microsoft.Win32.SafeHandles;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// Where <see cref="PixelDataTranscoder"/> keeps the pixel data it makes until the data set is written: in memory
/// (<see cref="Memory"/>, the default: the result is a data set like any other), or appended to a scratch file
/// (<see cref="PixelScratchFile"/>: the result's pixel data are ranges of that file, read back only while the data set
/// is written — so a transcode holds one native and one compressed frame in memory, whatever the number of frames).
/// </summary>
public abstract class PixelStore
{
    /// <summary>Keeps everything in memory.</summary>
    public static PixelStore Memory { get; } = new MemoryPixelStore();

    /// <summary>Keeps a copy of <paramref name="bytes"/> (the caller may reuse them) and returns a buffer that reads it back.</summary>
    public abstract DicomBuffer Keep(ReadOnlySpan<byte> bytes);

    /// <summary>Keeps <paramref name="owned"/>, which the caller gives up (no copy where the store can hold it as it is).</summary>
    public virtual DicomBuffer Keep(byte[] owned) => Keep(owned.AsSpan());

    /// <summary>True when the store holds the bytes in memory (the whole native pixel data may then be one array).</summary>
    internal virtual bool InMemory => false;

    private sealed class MemoryPixelStore : PixelStore
    {
        public override DicomBuffer Keep(ReadOnlySpan<byte> bytes) => DicomBuffer.From(bytes.ToArray());
        public override DicomBuffer Keep(byte[] owned) => DicomBuffer.From(owned);
        internal override bool InMemory => true;
    }
}

/// <summary>
/// A <see cref="PixelStore"/> that appends every value to one new scratch file in <c>directory</c>, which on Linux is
/// unlinked as soon as it is open (nothing is left behind by a crash, nothing else can open it), elsewhere deleted when
/// disposed. The buffers it returns read their range through the file's handle when written, so they are valid until
/// the store is disposed. Writing fails with the <see cref="IOException"/> of the disk (full, read-only).
/// </summary>
public sealed class PixelScratchFile : PixelStore, IDisposable
{
    private readonly SafeFileHandle _file;
    private long _length;

    public PixelScratchFile(string directory)
    {
        var path = Path.Combine(directory, "transcode." + Guid.NewGuid().ToString("N") + ".pixels");
        var unlinkNow = !OperatingSystem.IsWindows();
        _file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, unlinkNow ? FileOptions.None : FileOptions.DeleteOnClose);
        if (unlinkNow)
        {
            try
            {
                File.Delete(path);
            }
            catch
            {
                _file.Dispose();
                throw;
            }
        }
    }

    /// <summary>The bytes kept so far.</summary>
    public long Length => _length;

    public override DicomBuffer Keep(ReadOnlySpan<byte> bytes)
    {
        ObjectDisposedException.ThrowIf(_file.IsClosed, this);
        var offset = _length;
        RandomAccess.Write(_file, bytes, offset);
        _length += bytes.Length;
        return new HandleDicomBuffer(_file, offset, bytes.Length);
    }

    public void Dispose() => _file.Dispose();
}
