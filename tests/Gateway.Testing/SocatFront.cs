using System.Globalization;
using System.Text.RegularExpressions;

namespace Gateway.Testing;

/// <summary>
/// socat in front of a plain TCP peer on a free loopback port, relaying every connection to
/// 127.0.0.1:<c>backendPort</c> and logging each one it accepts (<see cref="Connections"/>). With a
/// <see cref="TestCertificates"/> it is a TLS server (wlmscpfs and dcmjs-dimse speak no TLS): OpenSSL, TLS 1.2 or
/// later, the test CA's server certificate, and — unless <c>requireClientCertificate</c> is false — a client
/// certificate signed by that CA required. OpenSSL is the TLS peer here, not .NET: what our client offers is judged
/// by another stack.
/// </summary>
public sealed partial class SocatFront : IDisposable
{
    private readonly PeerProcess _process;

    public SocatFront(int backendPort, TestCertificates? pki = null, bool requireClientCertificate = true)
    {
        var socat = Peers.Require("socat", "socat");
        Port = FreePort.Get();
        var listen = pki is null
            ? string.Create(CultureInfo.InvariantCulture, $"TCP-LISTEN:{Port},bind=127.0.0.1,reuseaddr,fork")
            : string.Create(CultureInfo.InvariantCulture,
                $"OPENSSL-LISTEN:{Port},bind=127.0.0.1,reuseaddr,fork,cert={pki.ServerCert},key={pki.ServerKey},cafile={pki.CaFile},verify={(requireClientCertificate ? 1 : 0)},openssl-min-proto-version=TLS1.2");
        _process = new PeerProcess(socat, ["-d", "-d", listen, string.Create(CultureInfo.InvariantCulture, $"TCP:127.0.0.1:{backendPort}")]);
        FreePort.WaitUntilListening(Port, TimeSpan.FromSeconds(10), () => _process.Output);
    }

    public int Port { get; }

    /// <summary>What socat printed: its refusals of a handshake name the reason.</summary>
    public string Output => _process.Output;

    /// <summary>How many connections socat accepted so far.</summary>
    public int Connections => Accepted().Count(_process.Output);

    [GeneratedRegex("accepting connection from")]
    private static partial Regex Accepted();

    public void Dispose() => _process.Dispose();
}
