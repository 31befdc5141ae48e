using System.Globalization;

namespace Gateway.Testing;

/// <summary>
/// A TLS server in front of a plain TCP peer (wlmscpfs and dcmjs-dimse speak no TLS): socat's OpenSSL listener on a
/// free loopback port, TLS 1.2 or later, the test CA's server certificate, and — unless <paramref name="requireClientCertificate"/>
/// is false — a client certificate signed by that CA required; every connection is relayed to 127.0.0.1:<paramref name="backendPort"/>.
/// OpenSSL is the TLS peer here, not .NET: what our client offers is judged by another stack.
/// </summary>
public sealed class TlsFront : IDisposable
{
    private readonly PeerProcess _process;

    public TlsFront(int backendPort, TestCertificates pki, bool requireClientCertificate = true)
    {
        var socat = Peers.Require("socat", "socat");
        Port = FreePort.Get();
        var listen = string.Create(CultureInfo.InvariantCulture,
            $"OPENSSL-LISTEN:{Port},bind=127.0.0.1,reuseaddr,fork,cert={pki.ServerCert},key={pki.ServerKey},cafile={pki.CaFile},verify={(requireClientCertificate ? 1 : 0)},openssl-min-proto-version=TLS1.2");
        _process = new PeerProcess(socat, ["-d", listen, string.Create(CultureInfo.InvariantCulture, $"TCP:127.0.0.1:{backendPort}")]);
        FreePort.WaitUntilListening(Port, TimeSpan.FromSeconds(10), () => _process.Output);
    }

    public int Port { get; }

    /// <summary>What socat printed: its refusals of a handshake name the reason.</summary>
    public string Output => _process.Output;

    public void Dispose() => _process.Dispose();
}
