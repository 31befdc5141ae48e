using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Gateway.Hardware.Serial;

/// <summary>
/// Reads and writes a serial port through its own file descriptor, with a read timeout kept by the kernel.
/// Why not SerialPort.BaseStream: on Linux its reader polls in a background loop and costs 2–5 % of a core while the
/// port is idle (measured; a Raspberry Pi's fan should not hear an idle detector). System.IO.Ports still opens the
/// port first — it sets baud (up to 12 Mbaud), parity, stop bits and handshake — and stays open; this stream then
/// opens the same device with O_NOCTTY (a service must never gain a controlling terminal, or a replug would SIGHUP
/// it) and sets VMIN=0, VTIME=timeout: read(2) sleeps in the kernel and returns after the timeout with nothing.
/// A read that returns nothing while the device node is gone means the adapter was pulled.
/// </summary>
internal sealed partial class TtyStream : Stream
{
    private const int ORdWr = 0x2, ONoCtty = 0x100, OCloExec = 0x80000;
    private const int TcsaNow = 0;
    // Linux (x64 and arm64, glibc): struct termios { tcflag_t c_iflag, c_oflag, c_cflag, c_lflag; cc_t c_line; cc_t c_cc[32]; ... }.
    private const int CcOffset = 17, VTime = 5, VMin = 6;

    private readonly string _path;
    private readonly FileStream _file;

    private TtyStream(string path, FileStream file)
    {
        _path = path;
        _file = file;
    }

    public static TtyStream Open(string path, TimeSpan readTimeout)
    {
        var fd = OpenNative(path, ORdWr | ONoCtty | OCloExec);
        if (fd < 0)
            throw new IOException($"{path}: cannot open: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var termios = new byte[256];
        if (TcGetAttr(fd, termios) != 0)
        {
            handle.Dispose();
            throw new IOException($"{path}: not a serial port: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        termios[CcOffset + VMin] = 0;
        termios[CcOffset + VTime] = (byte)Math.Clamp((int)Math.Ceiling(readTimeout.TotalMilliseconds / 100), 1, 255);
        if (TcSetAttr(fd, TcsaNow, termios) != 0)
        {
            handle.Dispose();
            throw new IOException($"{path}: cannot set the read timeout: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        return new TtyStream(path, new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0));
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override bool CanTimeout => true;
    public override int ReadTimeout { get; set; }
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = _file.Read(buffer);
        if (n > 0)
            return n;
        if (!File.Exists(_path))
            throw new IOException($"{_path}: the device is gone");
        throw new TimeoutException("no bytes within the read timeout");
    }

    public override void Write(byte[] buffer, int offset, int count) => _file.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => _file.Write(buffer);
    public override void Flush() => _file.Flush();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _file.Dispose();
        base.Dispose(disposing);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags);

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    private static partial int TcGetAttr(int fd, byte[] termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    private static partial int TcSetAttr(int fd, int action, byte[] termios);
}
