namespace Gateway.Hardware.Serial;

/// <summary>
/// The serial seam: opens the device and hands out its byte stream. Reads on the stream must honour
/// <see cref="Stream.ReadTimeout"/> (throwing <see cref="TimeoutException"/>) so the reader can notice a stalled
/// frame; any other exception from the stream means the link is gone (cable pulled, USB re-enumeration).
/// </summary>
public interface ISerialPortOpener
{
    /// <summary>The device path, for messages.</summary>
    string Name { get; }

    /// <summary>Opens the port; throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when it is not there or not ours.</summary>
    Stream Open(TimeSpan readTimeout);
}
