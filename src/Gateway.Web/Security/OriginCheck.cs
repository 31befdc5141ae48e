using Microsoft.AspNetCore.Http;

namespace Gateway.Web.Security;

/// <summary>
/// Defence in depth for state-changing requests (issue #14), beside SameSite=Strict cookies and antiforgery tokens:
/// a POST that says where it came from (Origin, or failing that Referer) must come from this page. A request that
/// says nothing (a script with curl, the tests' client) is left to the token; "Origin: null" (a sandboxed or
/// foreign page hiding itself) is refused.
/// </summary>
public static class OriginCheck
{
    public static bool IsSameOrigin(HttpRequest request)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
            return true;
        var self = $"https://{request.Host.Value}";
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0)
            return string.Equals(origin, self, StringComparison.OrdinalIgnoreCase);
        var referer = request.Headers.Referer.ToString();
        if (referer.Length > 0)
            return Uri.TryCreate(referer, UriKind.Absolute, out var r) && string.Equals(r.GetLeftPart(UriPartial.Authority), self, StringComparison.OrdinalIgnoreCase);
        return true;
    }
}
