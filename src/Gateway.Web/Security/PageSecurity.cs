using Gateway.Web.Logging;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Security;

/// <summary>
/// The security every page of ours has, the box's page and the fleet page alike (issue #14; issue #21: "the same
/// security as the box's page"): cookie sessions that are honoured only while registered in a <see cref="SessionRegistry"/>
/// (HttpOnly, Secure, SameSite=Strict, idle timeout), antiforgery tokens on every form, keys beside the users, the
/// response headers (CSP, no framing, no caching), and the Origin check of state-changing requests. One implementation,
/// so the two cannot drift apart.
/// </summary>
public static class PageSecurity
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <param name="cookiePrefix">Cookies are per host, not per port: the box's page and a fleet view on one host need their own names.</param>
    /// <param name="isPoll">A request the page makes by itself (a refresh): it neither keeps the session alive nor renews the cookie.</param>
    public static void AddSessions(IServiceCollection services, string stateDirectory, string applicationName, string cookiePrefix, int idleMinutes,
        SessionRegistry sessions, Func<HttpRequest, bool> isPoll)
    {
        // Session and antiforgery keys beside the users, not in a home directory (the service has none it may write).
        services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(stateDirectory, "keys")))
            .SetApplicationName(applicationName);
        services.AddSingleton(sessions);
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.Cookie.Name = cookiePrefix + ".session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            o.ExpireTimeSpan = TimeSpan.FromMinutes(idleMinutes);
            o.SlidingExpiration = true;
            o.LoginPath = "/login";
            o.LogoutPath = "/logout";
            o.Events.OnValidatePrincipal = async context =>
            {
                var poll = isPoll(context.HttpContext.Request);
                // The cookie alone proves nothing after logout or a password change (issue #14): its session must still be registered.
                if (context.Principal is not { } p || !sessions.Touch(SessionRegistry.IdOf(p), p.Identity?.Name, activity: !poll))
                {
                    context.RejectPrincipal();
                    await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme).ConfigureAwait(false);
                }
            };
            o.Events.OnCheckSlidingExpiration = context =>
            {
                // Sliding renewal of the cookie only on a person's own requests, never on the page's own refresh.
                if (isPoll(context.HttpContext.Request))
                    context.ShouldRenew = false;
                return Task.CompletedTask;
            };
            o.Events.OnRedirectToLogin = context =>
            {
                // An API call without a session gets 401, a page gets the login page.
                if (context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                else
                    context.Response.Redirect(context.RedirectUri);
                return Task.CompletedTask;
            };
        });
        services.AddAuthorization();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = cookiePrefix + ".antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            o.HeaderName = "X-Antiforgery";
        });
    }

    /// <summary>The headers of every HTTPS response.</summary>
    public static void SetHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        // same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on our own forms, and the
        // Origin check could not tell them from a foreign page's. Other sites still get no referrer.
        headers["Referrer-Policy"] = "same-origin";
        // Exactly what antiforgery sets on every page with a form: when ours differed it overrode it and logged a
        // warning per request (issue #14), which flushed the System page's log.
        headers.CacheControl = "no-cache, no-store";
        headers.Pragma = "no-cache";
    }

    /// <summary>
    /// <see cref="OriginCheck"/> as middleware does it: true when the request may go on; otherwise it has been answered
    /// 403 and logged (at most a line a minute per address).
    /// </summary>
    public static async Task<bool> AllowOriginAsync(HttpContext context, IReadOnlySet<string> names, int port, LogLimiter limiter, ILogger log)
    {
        if (OriginCheck.IsSameOrigin(context, names, port))
            return true;
        var remote = context.Connection.RemoteIpAddress?.ToString() ?? "?";
        if (limiter.ShouldLog(remote))
        {
            WebLog.ForeignOrigin(log, context.Request.Method, context.Request.Path, remote,
                context.Request.Headers.Origin.ToString() is { Length: > 0 } o ? o : context.Request.Headers.Referer.ToString());
        }
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("Refused: this form was not sent from this page.").ConfigureAwait(false);
        return false;
    }
}
