using Gateway.Hardware.Profiles;
using Microsoft.Extensions.Logging;

namespace Gateway.Hardware.Serial;

/// <summary>What a protocol does with the bytes of a <see cref="SerialLink"/>. Called on the link's reader thread only.</summary>
public interface ISerialProtocol
{
    void OnData(ReadOnlySpan<byte> data);

    /// <summary>No byte for a read tick (100 ms): a chance to notice a stalled frame.</summary>
    void OnIdle();

    /// <summary>The port went away; whatever was in progress is lost.</summary>
    void OnLinkLost();
}

public enum LinkState
{
    Disconnected,
    Connected,
}

/// <summary>
/// One serial device, supervised: opens the port, feeds every byte to the protocol on a dedicated reader thread, and
/// when the port disappears (cable pulled, USB re-enumeration, the pty pair torn down) reports "disconnected" and
/// looks for it again every <see cref="SerialSettings.ReopenMs"/> until it is back — without restarting anything.
/// Writes (ACK, NAK, requests) come from any thread and are serialised.
/// </summary>
public sealed class SerialLink(ISerialPortOpener opener, SerialSettings settings, ILogger logger)
{
    public static readonly TimeSpan ReadTick = TimeSpan.FromMilliseconds(100);
    private readonly Lock _writeLock = new();
    private Stream? _stream;

    public string Name => opener.Name;
    public LinkState State { get; private set; } = LinkState.Disconnected;
    public string? LastError { get; private set; }

    /// <summary>Raised on the reader thread when the link comes or goes.</summary>
    public event Action<LinkState>? StateChanged;

    /// <summary>Runs until <paramref name="ct"/> is cancelled; never throws for a lost or missing port.</summary>
    public Task RunAsync(ISerialProtocol protocol, CancellationToken ct) =>
        Task.Factory.StartNew(() => Run(protocol, ct), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Sends bytes to the device; false when the link is down (the caller reports it).</summary>
    public bool TryWrite(ReadOnlySpan<byte> bytes)
    {
        lock (_writeLock)
        {
            if (_stream is not { } s || bytes.IsEmpty)
                return _stream is not null;
            try
            {
                s.Write(bytes);
                s.Flush();
                return true;
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or TimeoutException or InvalidOperationException)
            {
                LastError = e.Message;
                return false;
            }
        }
    }

    private void Run(ISerialProtocol protocol, CancellationToken ct)
    {
        var buffer = new byte[1 << 16];
        var reportedMissing = false;
        while (!ct.IsCancellationRequested)
        {
            Stream stream;
            try
            {
                stream = opener.Open(ReadTick);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (!reportedMissing)
                {
                    reportedMissing = true;
                    LastError = e.Message;
                    HardwareLog.Disconnected(logger, opener.Name, e.Message, settings.ReopenMs);
                    StateChanged?.Invoke(LinkState.Disconnected);
                }
                ct.WaitHandle.WaitOne(settings.ReopenMs);
                continue;
            }
            reportedMissing = false;
            lock (_writeLock)
                _stream = stream;
            State = LinkState.Connected;
            LastError = null;
            HardwareLog.Connected(logger, opener.Name);
            StateChanged?.Invoke(LinkState.Connected);
            var reason = Pump(stream, buffer, protocol, ct);
            lock (_writeLock)
                _stream = null;
            stream.Dispose();
            State = LinkState.Disconnected;
            protocol.OnLinkLost();
            if (reason is null)
                return;
            reportedMissing = true;
            LastError = reason;
            HardwareLog.Disconnected(logger, opener.Name, reason, settings.ReopenMs);
            StateChanged?.Invoke(LinkState.Disconnected);
            ct.WaitHandle.WaitOne(settings.ReopenMs);
        }
    }

    /// <summary>Reads until the link breaks (returns why) or <paramref name="ct"/> is cancelled (returns null).</summary>
    private static string? Pump(Stream stream, byte[] buffer, ISerialProtocol protocol, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            int n;
            try
            {
                n = stream.Read(buffer);
            }
            catch (TimeoutException)
            {
                protocol.OnIdle();
                continue;
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException)
            {
                return e.Message;
            }
            if (n == 0)
                return "the device closed the link";
            protocol.OnData(buffer.AsSpan(0, n));
        }
        return null;
    }
}
