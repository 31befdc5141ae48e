using System.Net;
using Gateway.Configuration;
using Gateway.Web.Security;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Web;

/// <summary>
/// The technician's page, served inside the gateway process: HTTPS only (the HTTP port, when enabled, only
/// redirects), cookie sessions (HttpOnly, Secure, SameSite=Strict, idle timeout), antiforgery tokens on every form,
/// login lockout, no default password (first start offers only "set the admin password", with the setup code, and
/// listens on 127.0.0.1 until then). Pages are server-rendered; the status page refreshes itself from /api/status.
/// </summary>
public sealed class GatewayWeb : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GatewayWeb(WebApplication app, WebState state)
    {
        _app = app;
        State = state;
    }

    public WebState State { get; }

    /// <summary>The HTTPS port actually listened on.</summary>
    public int Port => new Uri(_app.Urls.First(u => u.StartsWith("https", StringComparison.Ordinal))).Port;

    public static async Task<GatewayWeb> StartAsync(WebConfig config, IGatewayControl control, ILoggerFactory loggers, TimeProvider? time = null)
    {
        var log = loggers.CreateLogger("gateway.web");
        var users = new UserStore(config.StateDirectory);
        var certificate = HttpsCertificate.LoadOrCreate(config.StateDirectory, config.CertificateFile, config.KeyFile);
        var state = new WebState(users, HttpsCertificate.Fingerprint(certificate), config);
        var address = IPAddress.Parse(users.IsSetUp ? config.Bind : config.BindBeforeSetup);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(GatewayWeb).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = WebLimits.MaxUpload;
            k.Listen(address, config.Port, l => l.UseHttps(certificate));
            if (config.HttpRedirectPort != 0)
                k.Listen(address, config.HttpRedirectPort);
        });
        builder.Services.Configure<FormOptions>(o => o.MultipartBodyLengthLimit = WebLimits.MaxUpload);
        // Session and antiforgery keys beside the users, not in a home directory (the service has none it may write).
        builder.Services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(config.StateDirectory, "keys")))
            .SetApplicationName("gateway");
        builder.Services.AddSingleton(control);
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton(new LoginThrottle(time ?? TimeProvider.System));
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.Cookie.Name = "gateway.session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            o.ExpireTimeSpan = TimeSpan.FromMinutes(config.IdleMinutes);
            o.SlidingExpiration = true;
            o.LoginPath = "/login";
            o.LogoutPath = "/logout";
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
        builder.Services.AddAuthorization();
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "gateway.antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            o.HeaderName = "X-Antiforgery";
        });
        builder.Services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizeFolder("/");
            o.Conventions.AllowAnonymousToPage("/Login");
            o.Conventions.AllowAnonymousToPage("/Setup");
        }).AddApplicationPart(typeof(GatewayWeb).Assembly);

        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            // The plain HTTP port only sends people to HTTPS.
            if (!context.Request.IsHttps)
            {
                context.Response.Redirect($"https://{context.Request.Host.Host}:{config.Port}{context.Request.Path}{context.Request.QueryString}", permanent: false);
                return;
            }
            var headers = context.Response.Headers;
            headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
            headers["X-Content-Type-Options"] = "nosniff";
            headers["X-Frame-Options"] = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Cache-Control"] = "no-store";
            // Before the first password exists there is nothing else to see.
            if (!state.Users.IsSetUp && !context.Request.Path.StartsWithSegments("/setup", StringComparison.OrdinalIgnoreCase)
                && !context.Request.Path.StartsWithSegments("/site.css", StringComparison.Ordinal))
            {
                context.Response.Redirect("/setup");
                return;
            }
            await next(context).ConfigureAwait(false);
        });
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapRazorPages();
        WebEndpoints.Map(app);
        await app.StartAsync().ConfigureAwait(false);

        var web = new GatewayWeb(app, state);
        if (!users.IsSetUp)
            WebLog.SetupCode(log, address.ToString(), web.Port, users.SetupCode!, users.SetupCodeFile);
        WebLog.Listening(log, address.ToString(), web.Port, state.Fingerprint,
            config.HttpRedirectPort != 0 ? $"; http://{address}:{config.HttpRedirectPort} redirects to it" : "");
        return web;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>What every page needs to know about the page itself.</summary>
public sealed class WebState(UserStore users, string fingerprint, WebConfig config)
{
    public UserStore Users { get; } = users;
    public string Fingerprint { get; } = fingerprint;
    public WebConfig Config { get; } = config;

    /// <summary>Raised after the first password was set: the page should listen on its configured address now.</summary>
    public event Action? SetUp;

    internal void RaiseSetUp() => SetUp?.Invoke();
}

public static class WebLimits
{
    /// <summary>Uploads (configuration, certificates) are small; anything larger is refused before it is read.</summary>
    public const long MaxUpload = 1 << 20;
}
