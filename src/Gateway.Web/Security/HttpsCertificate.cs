using System.Net;
using System.Net.NetworkInformation;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Web.Security;

/// <summary>
/// The page's TLS certificate: the hospital's (PEM certificate and key from the configuration), or a self-signed one
/// made on first start and kept (ECDSA P-256, 10 years, names: the host, localhost, every address of the box). Its
/// SHA-256 fingerprint goes to the journal and the status page, so a technician can check what the browser shows.
/// </summary>
public static class HttpsCertificate
{
    public static X509Certificate2 LoadOrCreate(string stateDirectory, string? certificateFile, string? keyFile)
    {
        if (certificateFile is not null && keyFile is not null)
            return Exportable(X509Certificate2.CreateFromPemFile(certificateFile, keyFile));
        var path = Path.Combine(stateDirectory, "https-self-signed.pfx");
        if (File.Exists(path))
            return X509CertificateLoader.LoadPkcs12FromFile(path, null);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var host = Dns.GetHostName();
        var request = new CertificateRequest($"CN={host}, O=Gateway (self-signed)", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(host);
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        foreach (var address in NetworkInterface.GetAllNetworkInterfaces().SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(a => a.Address))
        {
            if (!IPAddress.IsLoopback(address))
                san.AddIpAddress(address);
        }
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        var pfx = certificate.Export(X509ContentType.Pfx);
        using (var s = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            s.Write(pfx);
            s.Flush(flushToDisk: true);
        }
        return X509CertificateLoader.LoadPkcs12(pfx, null);
    }

    public static string Fingerprint(X509Certificate2 certificate) =>
        string.Join(':', certificate.GetCertHash(HashAlgorithmName.SHA256).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>A PEM-loaded key is ephemeral; Kestrel on Linux wants it in a PKCS#12 round trip.</summary>
    private static X509Certificate2 Exportable(X509Certificate2 pem)
    {
        using (pem)
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pfx), null);
    }
}
