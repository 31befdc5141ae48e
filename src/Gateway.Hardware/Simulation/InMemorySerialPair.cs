using Gateway.Hardware.Serial;

namespace Gateway.Hardware.Simulation;

/// <summary>
/// A serial cable inside the process, for `gateway demo` on a machine without socat: two ends whose streams are
/// joined back to back, with read timeouts like a real port. Tests use socat ptys instead (a real serial device).
/// </summary>
public sealed class InMemorySerialPair
{
    private readonly Wire _toDevice = new();
    private readonly Wire _toGateway = new();

    public ISerialPortOpener GatewayEnd => new End("memory:gateway", _toGateway, _toDevice);
    public ISerialPortOpener DeviceEnd => new End("memory:device", _toDevice, _toGateway);

    private sealed class End(string name, Wire incoming, Wire outgoing) : ISerialPortOpener
    {
        public string Name => name;
        public Stream Open(TimeSpan readTimeout) => new EndStream(incoming, outgoing) { ReadTimeout = (int)readTimeout.TotalMilliseconds };
    }

    /// <summary>One direction of the cable: bytes written wait here until read.</summary>
    private sealed class Wire
    {
        private readonly Queue<byte[]> _chunks = new();
        private readonly object _lock = new(); // Monitor.Wait/Pulse need a plain object
        private int _offset;

        public void Write(ReadOnlySpan<byte> bytes)
        {
            lock (_lock)
            {
                _chunks.Enqueue(bytes.ToArray());
                Monitor.PulseAll(_lock);
            }
        }

        public int Read(Span<byte> buffer, int timeoutMs)
        {
            lock (_lock)
            {
                var deadline = Environment.TickCount64 + timeoutMs;
                while (_chunks.Count == 0)
                {
                    var left = deadline - Environment.TickCount64;
                    if (left <= 0 || !Monitor.Wait(_lock, (int)left) && _chunks.Count == 0)
                        throw new TimeoutException("no bytes within the read timeout");
                }
                var chunk = _chunks.Peek();
                var n = Math.Min(buffer.Length, chunk.Length - _offset);
                chunk.AsSpan(_offset, n).CopyTo(buffer);
                _offset += n;
                if (_offset == chunk.Length)
                {
                    _chunks.Dequeue();
                    _offset = 0;
                }
                return n;
            }
        }
    }

    private sealed class EndStream(Wire incoming, Wire outgoing) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override bool CanTimeout => true;
        public override int ReadTimeout { get; set; } = Timeout.Infinite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer) => incoming.Read(buffer, ReadTimeout < 0 ? int.MaxValue : ReadTimeout);
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) => outgoing.Write(buffer);
        public override void Flush()
        {
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
