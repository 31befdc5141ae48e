using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Dicom.Network;

/// <summary>
/// TLS for DICOM connections following the secure transport connection profiles of PS3.15 Annex B (BCP 195): TLS 1.2
/// and 1.3 only, no plaintext fallback, the peer's certificate checked against a configured CA, optional client
/// certificate (mutual TLS). PEM files.
/// </summary>
public sealed record DicomTlsOptions
{
    /// <summary>The CA certificate(s) that must have signed the peer's certificate (PEM). Required.</summary>
    public required string CaFile { get; init; }
    /// <summary>Our certificate (PEM): required for an SCP, optional for an SCU (mutual TLS).</summary>
    public string? CertificateFile { get; init; }
    /// <summary>The private key of <see cref="CertificateFile"/> (PEM).</summary>
    public string? KeyFile { get; init; }
    /// <summary>SCP: require and verify a client certificate.</summary>
    public bool RequireClientCertificate { get; init; }
    /// <summary>SCU: the name the server certificate must carry; null accepts any name the CA signed (IP-addressed PACS).</summary>
    public string? ServerName { get; init; }

    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    internal X509Certificate2? LoadCertificate()
    {
        if (CertificateFile is null)
            return null;
        var pem = X509Certificate2.CreateFromPemFile(CertificateFile, KeyFile);
        // Re-import so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    internal X509Certificate2Collection LoadCa()
    {
        var ca = new X509Certificate2Collection();
        ca.ImportFromPemFile(CaFile);
        if (ca.Count == 0)
            throw new DicomNetworkException($"TLS CA file {CaFile} holds no certificate");
        return ca;
    }

    /// <summary>Validates a peer certificate against our CA only (not the system store).</summary>
    internal static RemoteCertificateValidationCallback Validator(X509Certificate2Collection ca, bool requireName) =>
        (_, certificate, _, errors) => Gateway.Shared.CaPinning.Validate(certificate, errors, ca, requireName);
}
