using System.Net;
using Gateway.Configuration;
using Gateway.Web.Logging;
using Gateway.Web.Security;
using Microsoft.AspNetCore.Builder;
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
    private readonly FailedLogins _failedLogins;

    private GatewayWeb(WebApplication app, WebState state, FailedLogins failedLogins)
    {
        _app = app;
        State = state;
        _failedLogins = failedLogins;
    }

    public WebState State { get; }

    /// <summary>The HTTPS port actually listened on.</summary>
    public int Port => new Uri(_app.Urls.First(u => u.StartsWith("https", StringComparison.Ordinal))).Port;

    /// <param name="listeners">Sockets already listening (<see cref="LazyGatewayWeb"/>), which then announced the page itself.</param>
    public static async Task<GatewayWeb> StartAsync(WebConfig config, IGatewayControl control, ILoggerFactory loggers, TimeProvider? time = null,
        WebListeners? listeners = null)
    {
        var log = loggers.CreateLogger(WebLog.Category);
        var users = new UserStore(config.StateDirectory);
        var certificate = HttpsCertificate.LoadOrCreate(config.StateDirectory, config.CertificateFile, config.KeyFile);
        var state = new WebState(users, HttpsCertificate.Fingerprint(certificate), config);
        var address = IPAddress.Parse(users.IsSetUp ? config.Bind : config.BindBeforeSetup);
        var names = RedirectTarget.NamesOf(certificate);
        var sessions = new SessionRegistry(time ?? TimeProvider.System, TimeSpan.FromMinutes(config.IdleMinutes));
        var foreignLog = new LogLimiter(time ?? TimeProvider.System);
        var failedLogins = new FailedLogins(time ?? TimeProvider.System, log);

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
            k.Limits.MaxRequestBodySize = WebLimits.MaxRequest;
            if (listeners is not null)
            {
                k.ListenHandle((ulong)listeners.Https.Handle, l => l.UseHttps(certificate));
                if (listeners.Http is { } http)
                    k.ListenHandle((ulong)http.Handle);
            }
            else
            {
                k.Listen(address, config.Port, l => l.UseHttps(certificate));
                if (config.HttpRedirectPort != 0)
                    k.Listen(address, config.HttpRedirectPort);
            }
        });
        builder.Services.Configure<FormOptions>(o => o.MultipartBodyLengthLimit = WebLimits.MaxRequest);
        builder.Services.AddSingleton(control);
        // One clock for the cookie's own expiry and for the sessions behind it (tests give a fake one).
        builder.Services.AddSingleton(time ?? TimeProvider.System);
        builder.Services.AddSingleton(state);
        var throttle = new LoginThrottle(time ?? TimeProvider.System);
        builder.Services.AddSingleton(throttle);
        builder.Services.AddSingleton(failedLogins);
        builder.Services.AddSingleton(new LoginFlow(users, throttle, sessions, failedLogins, log));
        builder.Services.AddSingleton(new PendingRestores(time ?? TimeProvider.System));
        // The status page asks for /api/status every 2 s by itself: that is no sign of a technician, so it neither
        // keeps the session alive nor renews the cookie — the idle timeout still ends an open page.
        PageSecurity.AddSessions(builder.Services, config.StateDirectory, "gateway", "gateway", config.IdleMinutes, sessions, StatusView.IsPoll);
        builder.Services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizeFolder("/");
            o.Conventions.AllowAnonymousToPage("/Login");
            o.Conventions.AllowAnonymousToPage("/Setup");
        }).AddApplicationPart(typeof(GatewayWeb).Assembly);

        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            // The plain HTTP port only sends people to HTTPS — on a name of this box, never on whatever the Host header says.
            if (!context.Request.IsHttps)
            {
                var host = RedirectTarget.Host(context, names, address);
                context.Response.Redirect($"https://{host}:{config.Port}{context.Request.Path}{context.Request.QueryString}", permanent: false);
                return;
            }
            PageSecurity.SetHeaders(context.Response);
            if (!await PageSecurity.AllowOriginAsync(context, names, config.Port, foreignLog, log).ConfigureAwait(false))
                return;
            // Before the first password exists there is nothing else to see.
            if (!state.Users.IsSetUp && !context.Request.Path.StartsWithSegments("/setup", StringComparison.OrdinalIgnoreCase)
                && !WebEndpoints.IsPublicAsset(context.Request.Path))
            {
                context.Response.Redirect("/setup");
                return;
            }
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted)
            {
                // A form bigger than any upload may be: a page that says so, not a bare status (issue #14).
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                context.Response.ContentType = "text/html; charset=utf-8";
                await context.Response.WriteAsync(ErrorPage.TooLarge).ConfigureAwait(false);
            }
        });
        app.UseStatusCodePages(async context =>
        {
            // Errors a browser may meet (an expired form, a foreign request) get a sentence and a way back, not a blank page.
            var response = context.HttpContext.Response;
            if (response.StatusCode is StatusCodes.Status400BadRequest or StatusCodes.Status404NotFound && !context.HttpContext.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
            {
                response.ContentType = "text/html; charset=utf-8";
                await response.WriteAsync(ErrorPage.For(response.StatusCode)).ConfigureAwait(false);
            }
        });
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapRazorPages();
        WebEndpoints.Map(app);
        await app.StartAsync().ConfigureAwait(false);

        var web = new GatewayWeb(app, state, failedLogins);
        if (listeners is null)
            Announce(log, config, users, address, web.Port, state.Fingerprint);
        return web;
    }

    /// <summary>
    /// What the journal says when the page listens: the setup code while there is no password yet (the technician reads
    /// it there or in its file), the address, the certificate's fingerprint and the redirect port.
    /// </summary>
    internal static void Announce(ILogger log, WebConfig config, UserStore users, IPAddress address, int port, string fingerprint)
    {
        if (!users.IsSetUp)
            WebLog.SetupCode(log, address.ToString(), port, users.SetupCode!, users.SetupCodeFile);
        WebLog.Listening(log, address.ToString(), port, fingerprint,
            config.HttpRedirectPort != 0 ? $"; http://{address}:{config.HttpRedirectPort} redirects to it" : "");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _failedLogins.Dispose();
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
    /// <summary>Uploads (configuration, certificates) are small; a larger file is refused with a message beside its field.</summary>
    public const long MaxUpload = 1 << 20;

    /// <summary>
    /// The most a request may carry: above it Kestrel stops reading. Larger than <see cref="MaxUpload"/> on purpose, so a
    /// file a little too large still reaches the page and gets a message instead of a reset connection.
    /// </summary>
    public const long MaxRequest = 8 << 20;
}
