using System.Runtime.InteropServices;

namespace Gateway.Spool;

/// <summary>
/// Recovery's two file operations per entry through libc on Linux (issue #22): a state file read with <c>open</c>,
/// <c>read</c>, <c>close</c> — System.IO's open adds an <c>fstat</c> and a shared <c>flock</c> (and its close the unlock),
/// its length another <c>fstat</c>: seven calls — and a payload's size with one <c>statx</c> (<see cref="FileInfo"/>: <c>lstat</c> and
/// <c>geteuid</c>). Only the plain case is answered here: a regular file read or sized without error. Anything else
/// (an error of any kind, a file that is not a regular one) returns false and the caller does it the System.IO way,
/// which then fails, or succeeds, exactly as it always did, with the same exceptions and messages.
/// </summary>
internal static partial class NativeFiles
{
    private const int ReadOnlyCloseOnExec = 0x80000; // O_RDONLY | O_CLOEXEC on Linux (x64 and arm64 alike)
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;
    private const int StatxBytes = 256; // struct statx: the same layout on every architecture
    private const int StatxMaskOffset = 0, StatxModeOffset = 28, StatxSizeOffset = 40, StatxDevMajorOffset = 136;
    private const int FileTypeMask = 0xF000, RegularFile = 0x8000; // S_IFMT, S_IFREG
    private const int Eintr = 4;

    /// <summary>False off Linux, and once libc (or its statx: glibc before 2.28) turned out to be missing.</summary>
    public static bool Enabled { get; private set; } = OperatingSystem.IsLinux();

    /// <summary>
    /// Reads the regular file at <paramref name="path"/> into <paramref name="buffer"/>: true with the number of bytes
    /// read in <paramref name="read"/>, or -1 when the file is longer than the buffer; false when not done (the caller
    /// reads it the System.IO way). A read shorter than asked is the end of the file: for a regular file Linux returns
    /// less only there, so a file shorter than the buffer costs three calls. A read that fills the buffer, or reads
    /// nothing, asks the file's type and size (one <c>statx</c> on the descriptor), as System.IO's <c>fstat</c> does:
    /// longer than the buffer is -1, and a directory, a device or a pipe goes the System.IO way. (The one case read
    /// otherwise than System.IO would: a pipe in state/ that a writer fills, read for its data, where System.IO reads
    /// nothing from it; and no shared <c>flock</c> is taken, which only other .NET processes would see.)
    /// </summary>
    public static bool TryReadSmall(string path, Span<byte> buffer, out int read)
    {
        read = 0;
        if (!Enabled)
            return false;
        int fd;
        try
        {
            while ((fd = Open(path, ReadOnlyCloseOnExec)) < 0 && Marshal.GetLastPInvokeError() == Eintr)
            {
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Enabled = false;
            return false;
        }
        if (fd < 0)
            return false; // gone, refused, ...: System.IO says so in its own words
        try
        {
            while (read < buffer.Length)
            {
                var n = Read(fd, ref buffer[read], (nuint)(buffer.Length - read));
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Eintr)
                        continue;
                    return false; // a directory (EISDIR), an I/O error: System.IO's way
                }
                if (n == 0)
                    break;
                read += (int)n;
                if (read < buffer.Length)
                    return true; // the end of the file (see above)
            }
            // Empty, or the buffer is full: its type and size decide, as System.IO's fstat does.
            if (!TryStat(fd, "", AtEmptyPath, out var regular, out var size) || !regular)
                return false;
            if (size > buffer.Length)
                read = -1;
            return true;
        }
        finally
        {
            _ = Close(fd); // not retried on EINTR: Linux has released the descriptor either way
        }
    }

    /// <summary>
    /// The size of the regular file at <paramref name="path"/>; false when not done: missing, not a regular file — a
    /// symbolic link included, whose own length <see cref="FileInfo"/> gives —, any error (the caller asks FileInfo).
    /// </summary>
    public static bool TryLength(string path, out long length)
    {
        length = 0;
        if (!Enabled)
            return false;
        try
        {
            if (!TryStat(AtFdCwd, path, AtSymlinkNoFollow, out var regular, out length) || !regular)
                return false;
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Enabled = false;
            return false;
        }
    }

    /// <summary>
    /// The device (major, minor) of the file system holding <paramref name="path"/> (statx's <c>stx_dev_*</c>, which
    /// every statx fills): false when not answered here (off Linux, no statx, an error).
    /// </summary>
    public static bool TryDevice(string path, out uint major, out uint minor)
    {
        major = minor = 0;
        if (!Enabled)
            return false;
        Span<byte> stx = stackalloc byte[StatxBytes];
        try
        {
            if (!StatxRetried(AtFdCwd, path, 0, StatxType, stx))
                return false;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Enabled = false;
            return false;
        }
        major = BitConverter.ToUInt32(stx[StatxDevMajorOffset..]);
        minor = BitConverter.ToUInt32(stx[(StatxDevMajorOffset + 4)..]);
        return true;
    }

    private static bool TryStat(int dirFd, string path, int flags, out bool regular, out long size)
    {
        regular = false;
        size = 0;
        Span<byte> stx = stackalloc byte[StatxBytes];
        if (!StatxRetried(dirFd, path, flags, StatxType | StatxSize, stx))
            return false; // ENOSYS (a kernel before 4.11) included: System.IO's way
        if ((BitConverter.ToUInt32(stx[StatxMaskOffset..]) & (StatxType | StatxSize)) != (StatxType | StatxSize))
            return false;
        regular = (BitConverter.ToUInt16(stx[StatxModeOffset..]) & FileTypeMask) == RegularFile;
        size = BitConverter.ToInt64(stx[StatxSizeOffset..]);
        return true;
    }

    /// <summary>statx into <paramref name="stx"/>, again after EINTR; false on any other error.</summary>
    private static bool StatxRetried(int dirFd, string path, int flags, uint mask, Span<byte> stx)
    {
        int result;
        while ((result = Statx(dirFd, path, flags, mask, ref stx[0])) < 0 && Marshal.GetLastPInvokeError() == Eintr)
        {
        }
        return result >= 0;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, ref byte buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirFd, string path, int flags, uint mask, ref byte statx);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
