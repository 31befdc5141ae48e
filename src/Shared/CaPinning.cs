using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Shared;

/// <summary>
/// A peer's TLS certificate judged against the configured CA only, never the system store (a hospital PACS or broker
/// has its own CA; trusting every public CA would let any certificate through). One source file compiled into the
/// projects that speak TLS (Gateway.Dicom.Network, Gateway.Telemetry): they may not depend on each other.
/// </summary>
internal static class CaPinning
{
    public static bool Validate(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection ca, bool requireName)
    {
        if (certificate is null)
            return false;
        if (requireName && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate as X509Certificate2 ?? new X509Certificate2(certificate));
    }
}
