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

    public static string ReadText(IFormFile file, out string? problem)
    {
        problem = file.Length > WebLimits.MaxUpload ? $"the file is larger than {WebLimits.MaxUpload} bytes" : null;
        if (problem is not null)
            return "";
        using var reader = new StreamReader(file.OpenReadStream());
        return reader.ReadToEnd();
    }
}
