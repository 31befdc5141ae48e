using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;

namespace Gateway.Web;

/// <summary>
/// Files technicians upload. Nothing from the request names a file on disk: uploads are checked, then written under
/// a name the gateway makes (a random id) inside the web state directory.
/// </summary>
internal static class Uploads
{
    /// <summary>Saves a PEM certificate (or bundle); returns its path, or null with the problem.</summary>
    public static string? SavePemCertificate(IFormFile file, string stateDirectory, out string? problem)
    {
        problem = null;
        if (file.Length > WebLimits.MaxUpload)
        {
            problem = $"the file is larger than {WebLimits.MaxUpload} bytes";
            return null;
        }
        string text;
        using (var reader = new StreamReader(file.OpenReadStream()))
            text = reader.ReadToEnd();
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(text);
        }
        catch (CryptographicException e)
        {
            problem = $"not a PEM certificate: {e.Message}";
            return null;
        }
        if (certificates.Count == 0)
        {
            problem = "the file holds no certificate (expected -----BEGIN CERTIFICATE-----)";
            return null;
        }
        var dir = Directory.CreateDirectory(Path.Combine(stateDirectory, "tls")).FullName;
        var path = Path.Combine(dir, $"{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>
    /// A certificate with its private key (the page's own, or a client certificate for mutual TLS): PEM files checked
    /// to belong together, saved as NAME.pem/.key (0600) where NAME is ours; returns the two paths, or null with the problem.
    /// </summary>
    public static (string Certificate, string Key)? SaveCertificatePair(IFormFile certificate, IFormFile key, string directory, string name, out string? problem)
    {
        var certText = ReadText(certificate, out problem);
        if (problem is not null)
            return null;
        var keyText = ReadText(key, out problem);
        if (problem is not null)
            return null;
        try
        {
            using var pair = X509Certificate2.CreateFromPem(certText, keyText);
            if (!pair.HasPrivateKey)
                problem = "the key does not belong to the certificate";
        }
        catch (CryptographicException e)
        {
            problem = $"certificate and key do not make a pair: {e.Message}";
        }
        if (problem is not null)
            return null;
        Directory.CreateDirectory(directory);
        var certPath = Path.Combine(directory, name + ".pem");
        var keyPath = Path.Combine(directory, name + ".key");
        WritePrivate(certPath, certText);
        WritePrivate(keyPath, keyText);
        return (certPath, keyPath);
    }

    private static void WritePrivate(string path, string text)
    {
        using var s = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        s.Write(System.Text.Encoding.UTF8.GetBytes(text));
        s.Flush(flushToDisk: true);
    }

    public static string ReadText(IFormFile file, out string? problem)
    {
        problem = file.Length > WebLimits.MaxUpload ? $"the file is larger than {WebLimits.MaxUpload} bytes" : null;
        if (problem is not null)
            return "";
        using var reader = new StreamReader(file.OpenReadStream());
        return reader.ReadToEnd();
    }
}
