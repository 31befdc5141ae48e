using System.Net;
using Microsoft.AspNetCore.Http;

namespace Gateway.Web.Security;

/// <summary>
/// Defence in depth for state-changing requests (issue #14), beside SameSite=Strict cookies and antiforgery tokens:
/// a POST that says where it came from (Origin, or failing that Referer) must come from this page — https, one of the
/// box's own names or addresses (<see cref="RedirectTarget.NamesOf"/>, or the address the connection reached) and the
/// page's port. Never the request's Host header: a request can claim any host. A request that says nothing (a script
/// with curl, the tests' client) is left to the token, unless the browser marks it "Sec-Fetch-Site: cross-site";
/// "Origin: null" (a sandboxed or foreign page hiding itself) is refused.
/// </summary>
public static class OriginCheck
{
    public static bool IsSameOrigin(HttpContext context, IReadOnlySet<string> names, int port)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
            return true;
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0)
            return IsOwn(origin, context, names, port);
        if (string.Equals(request.Headers["Sec-Fetch-Site"].ToString(), "cross-site", StringComparison.OrdinalIgnoreCase))
            return false;
        var referer = request.Headers.Referer.ToString();
        if (referer.Length > 0)
            return IsOwn(referer, context, names, port);
        return true;
    }

    private static bool IsOwn(string url, HttpContext context, IReadOnlySet<string> names, int port)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme != Uri.UriSchemeHttps || u.Port != port || u.UserInfo.Length > 0)
            return false;
        var host = u.Host; // IPv6 literals come in brackets, as NamesOf formats them
        if (names.Contains(host))
            return true;
        var local = context.Connection.LocalIpAddress;
        return IPAddress.TryParse(host.Trim('[', ']'), out var a) && local is not null
            && (a.Equals(local) || (local.IsIPv4MappedToIPv6 && a.Equals(local.MapToIPv4())));
    }
}
