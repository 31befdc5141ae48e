using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Testing;

/// <summary>
/// A test PKI written as PEM files: a CA, a server certificate for 127.0.0.1/localhost, a client certificate, an
/// expired server certificate, and a second CA that trusts none of them.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private readonly TempDirectory _dir = new("pki");

    public TestCertificates()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Gateway Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-365), DateTimeOffset.UtcNow.AddYears(5));
        CaFile = WriteCert("ca.pem", ca);

        (ServerCert, ServerKey) = Issue(ca, "server", "CN=localhost", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1), server: true);
        (ClientCert, ClientKey) = Issue(ca, "client", "CN=gateway-client", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1), server: false);
        (ExpiredCert, ExpiredKey) = Issue(ca, "expired", "CN=localhost", DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1), server: true);

        using var otherKey = RSA.Create(2048);
        var otherRequest = new CertificateRequest("CN=Some Other CA", otherKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        otherRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var other = otherRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
        OtherCaFile = WriteCert("other-ca.pem", other);
    }

    public string CaFile { get; }
    public string OtherCaFile { get; }
    public string ServerCert { get; }
    public string ServerKey { get; }
    public string ClientCert { get; }
    public string ClientKey { get; }
    public string ExpiredCert { get; }
    public string ExpiredKey { get; }

    private (string Cert, string Key) Issue(X509Certificate2 ca, string name, string subject, DateTimeOffset from, DateTimeOffset to, bool server)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        var serial = new byte[12];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        using var cert = request.Create(ca, from, to, serial);
        var certFile = WriteCert(name + ".pem", cert);
        var keyFile = Path.Combine(_dir.Path, name + ".key");
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile);
    }

    private string WriteCert(string name, X509Certificate2 cert)
    {
        var path = Path.Combine(_dir.Path, name);
        File.WriteAllText(path, cert.ExportCertificatePem());
        return path;
    }

    public void Dispose() => _dir.Dispose();
}
