using System.Runtime.InteropServices;

namespace Gateway.Shared;

/// <summary>
/// fsync of a directory, so that a rename into it survives power loss. .NET has no API for it (DESIGN.md, known
/// traps): open the directory read-only and fsync the descriptor through libc. A no-op off Linux and macOS.
/// One source file compiled into the projects that need it (Gateway.Spool, Gateway.Dicom.Network): they may not
/// depend on each other.
/// </summary>
internal static partial class DirectoryFsync
{
    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return;
        var fd = Open(directory, 0);
        if (fd < 0)
            throw new IOException($"cannot open directory {directory} to fsync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0)
                throw new IOException($"fsync of directory {directory} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
