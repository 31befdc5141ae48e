using System.Globalization;
using System.IO.Ports;
using Gateway.Hardware.Profiles;

namespace Gateway.Hardware.Serial;

/// <summary>A real serial port through System.IO.Ports (RS-232, USB-serial, or one end of a socat pty pair).</summary>
public sealed class SystemSerialPortOpener(SerialSettings settings) : ISerialPortOpener
{
    public string Name => settings.Device;

    public Stream Open(TimeSpan readTimeout)
    {
        if (!File.Exists(settings.Device))
            throw new IOException($"{settings.Device}: no such device");
        var port = new SerialPort(settings.Device, settings.Baud)
        {
            DataBits = settings.DataBits,
            Parity = settings.Parity switch
            {
                "odd" => Parity.Odd,
                "even" => Parity.Even,
                "mark" => Parity.Mark,
                "space" => Parity.Space,
                _ => Parity.None,
            },
            StopBits = settings.StopBits switch
            {
                "1.5" => StopBits.OnePointFive,
                "2" => StopBits.Two,
                _ => StopBits.One,
            },
            Handshake = settings.Handshake switch
            {
                "rts-cts" => Handshake.RequestToSend,
                "xon-xoff" => Handshake.XOnXOff,
                _ => Handshake.None,
            },
            ReadTimeout = (int)readTimeout.TotalMilliseconds,
            WriteTimeout = 5000,
            ReadBufferSize = 1 << 20,
        };
        try
        {
            // System.IO.Ports configures the line (baud up to 12 Mbaud, parity, handshake); the bytes go through our own
            // descriptor (TtyStream), whose reads sleep in the kernel instead of polling.
            port.Open();
            return new PortStream(port, TtyStream.Open(settings.Device, readTimeout));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            port.Dispose();
            throw new IOException(string.Create(CultureInfo.InvariantCulture, $"{settings.Device}: cannot open at {settings.Baud} baud: {e.Message}"), e);
        }
    }

    /// <summary>The tty's stream, which also closes the configured port when disposed.</summary>
    private sealed class PortStream(SerialPort port, Stream inner) : Stream
    {
        private readonly Stream _inner = inner;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override bool CanTimeout => true;
        public override int ReadTimeout { get => _inner.ReadTimeout; set => _inner.ReadTimeout = value; }
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => _inner.Read(buffer);
        public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => _inner.Write(buffer);
        public override void Flush() => _inner.Flush();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
                try
                {
                    port.Dispose();
                }
                catch (IOException)
                {
                    // The device is already gone (that is often why we close it).
                }
            }
            base.Dispose(disposing);
        }
    }
}
