using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;

namespace Gateway.Web.Security;

/// <summary>
/// Where the plain HTTP port sends a browser. Not to the request's Host header as such (issue #14: "Host: evil.example"
/// got "https://evil.example:PORT/"): only to a name this box answers to — one its HTTPS certificate names, its host
/// name, or one of its addresses — and otherwise to the address the request actually reached.
/// </summary>
public static class RedirectTarget
{
    /// <summary>The names and addresses of this box: the certificate's subject alternative names, the host name, localhost.</summary>
    public static IReadOnlySet<string> NamesOf(X509Certificate2 certificate)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "localhost", Dns.GetHostName() };
        foreach (var san in certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>())
        {
            names.UnionWith(san.EnumerateDnsNames());
            names.UnionWith(san.EnumerateIPAddresses().Select(Format));
        }
        return names;
    }

    public static string Host(HttpContext context, IReadOnlySet<string> names, IPAddress bind)
    {
        var asked = context.Request.Host.Host;
        if (asked.Length > 0 && (names.Contains(asked) || IsOwnAddress(asked, context)))
            return asked;
        if (!bind.Equals(IPAddress.Any) && !bind.Equals(IPAddress.IPv6Any))
            return Format(bind);
        return context.Connection.LocalIpAddress is { } local ? Format(local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local) : "localhost";
    }

    /// <summary>An address literal is fine when it is the one the connection came in on.</summary>
    private static bool IsOwnAddress(string asked, HttpContext context) =>
        IPAddress.TryParse(asked.Trim('[', ']'), out var a) && context.Connection.LocalIpAddress is { } local
        && (a.Equals(local) || (local.IsIPv4MappedToIPv6 && a.Equals(local.MapToIPv4())));

    private static string Format(IPAddress a) => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{a}]" : a.ToString();
}
