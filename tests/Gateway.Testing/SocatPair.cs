namespace Gateway.Testing;

/// <summary>
/// A serial cable made by socat: two pseudo-terminals joined back to back (`socat pty,raw,echo=0,link=A
/// pty,raw,echo=0,link=B`). System.IO.Ports opens either end. <see cref="Unplug"/> tears the pair down (both ends
/// see their port vanish, as when a USB-serial adapter is pulled); <see cref="Plug"/> makes it again under the same names.
/// </summary>
public sealed class SocatPair : IDisposable
{
    private readonly string _socat;
    private PeerProcess? _process;

    public SocatPair(string directory, string? gatewayEnd = null)
    {
        _socat = Peers.Require("socat", "socat");
        GatewayEnd = gatewayEnd ?? Path.Combine(directory, "gateway-tty");
        DeviceEnd = Path.Combine(directory, "device-tty");
        Plug();
    }

    /// <summary>The end the gateway opens (the profile's serial.device).</summary>
    public string GatewayEnd { get; }
    /// <summary>The end the device (the simulator) opens.</summary>
    public string DeviceEnd { get; }

    public void Plug()
    {
        _process = new PeerProcess(_socat, ["-d", "-d", $"pty,raw,echo=0,link={GatewayEnd}", $"pty,raw,echo=0,link={DeviceEnd}"]);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!(File.Exists(GatewayEnd) && File.Exists(DeviceEnd)))
        {
            if (DateTime.UtcNow > deadline || _process.HasExited)
                throw new InvalidOperationException($"socat did not make the pty pair: {_process.Output}");
            Thread.Sleep(10);
        }
    }

    public void Unplug()
    {
        _process?.Kill();
        _process?.Dispose();
        _process = null;
        // socat removes its links on a clean exit; a kill may leave them.
        File.Delete(GatewayEnd);
        File.Delete(DeviceEnd);
    }

    public void Dispose() => Unplug();
}
