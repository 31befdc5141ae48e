using System.Net;
using Gateway.Telemetry.Fleet;
using Gateway.Web.Logging;
using Gateway.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Fleet;

/// <summary>
/// The fleet page of `gateway fleet` (issue #21): every box of a <see cref="FleetState"/>, server-rendered Razor Pages
/// (folder Fleet/Pages) that work without script, with the box's page's security through the same code
/// (<see cref="PageSecurity"/>, <see cref="LoginFlow"/>, <see cref="UserStore"/>, <see cref="HttpsCertificate"/>): HTTPS
/// only, no default password — until the first one is set with the setup code (printed by `gateway fleet`, kept in
/// the state directory, mode 0600) the page offers only /setup, and only to the fleet machine itself (loopback) —
/// login with lockout, server-side sessions with an idle timeout, antiforgery tokens, the Origin check, the CSP.
/// </summary>
public sealed class FleetPageServer : IAsyncDisposable
{
    public const string LogCategory = "gateway.fleet.page";
    private readonly WebApplication _app;
    private readonly FailedLogins _failedLogins;

    private FleetPageServer(WebApplication app, FleetPageInfo info, FailedLogins failedLogins)
    {
        _app = app;
        Info = info;
        _failedLogins = failedLogins;
    }

    public FleetPageInfo Info { get; }

    /// <summary>The address and port actually listened on.</summary>
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>Binds and starts; throws what binding throws (port taken, address not local) and what reading the state directory throws.</summary>
    public static async Task<FleetPageServer> StartAsync(FleetPageOptions options, FleetState fleet, ILoggerFactory loggers, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var log = loggers.CreateLogger(LogCategory);
        var users = new UserStore(options.StateDirectory);
        var certificate = HttpsCertificate.LoadOrCreate(options.StateDirectory, options.CertificateFile, options.KeyFile);
        var info = new FleetPageInfo(users, HttpsCertificate.Fingerprint(certificate), options);
        var names = RedirectTarget.NamesOf(certificate);
        var sessions = new SessionRegistry(time, TimeSpan.FromMinutes(options.IdleMinutes));
        var foreignLog = new LogLimiter(time);
        var failedLogins = new FailedLogins(time, log);
        var throttle = new LoginThrottle(time);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FleetPageServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 64 * 1024; // login and setup forms only
            k.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            k.Listen(options.Listen, l => l.UseHttps(certificate));
        });
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(fleet);
        builder.Services.AddSingleton(info);
        builder.Services.AddSingleton(new LoginFlow(users, throttle, sessions, failedLogins, log, "this fleet view"));
        PageSecurity.AddSessions(builder.Services, options.StateDirectory, "gateway-fleet", "gateway.fleet", options.IdleMinutes, sessions, FleetPageInfo.IsRefresh);
        builder.Services.AddRazorPages(o =>
        {
            // Only the pages under Fleet/Pages: the box's pages of the same assembly are not part of this site.
            o.RootDirectory = "/Fleet/Pages";
            o.Conventions.AuthorizeFolder("/");
            o.Conventions.AllowAnonymousToPage("/Login");
            o.Conventions.AllowAnonymousToPage("/Setup");
        }).AddApplicationPart(typeof(FleetPageServer).Assembly);

        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            PageSecurity.SetHeaders(context.Response);
            if (!await PageSecurity.AllowOriginAsync(context, names, context.Connection.LocalPort, foreignLog, log).ConfigureAwait(false))
                return;
            if (!users.IsSetUp && !IsPublicAsset(context.Request.Path))
            {
                // Before the first password exists: only the setup page, and only from the fleet machine itself.
                if (context.Connection.RemoteIpAddress is not { } remote || !IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote))
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    context.Response.ContentType = "text/plain; charset=utf-8";
                    await context.Response.WriteAsync("This fleet view has no password yet: set it from the fleet machine itself (https://127.0.0.1:"
                        + context.Connection.LocalPort.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/setup, e.g. through an SSH tunnel).").ConfigureAwait(false);
                    return;
                }
                if (!context.Request.Path.StartsWithSegments("/setup", StringComparison.OrdinalIgnoreCase))
                {
                    context.Response.Redirect("/setup");
                    return;
                }
            }
            await next(context).ConfigureAwait(false);
        });
        app.UseStatusCodePages(async context =>
        {
            var response = context.HttpContext.Response;
            if (response.StatusCode is StatusCodes.Status400BadRequest or StatusCodes.Status404NotFound)
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
        app.MapGet("/site.css", () => Results.Text(Assets.Css + FleetAssets.Css, "text/css"));
        app.MapGet("/fleet.js", () => Results.Text(FleetAssets.RefreshScript, "text/javascript"));
        app.MapGet("/favicon.svg", () => Results.Text(Assets.Icon, "image/svg+xml"));
        app.MapGet("/favicon.ico", () => Results.Text(Assets.Icon, "image/svg+xml"));
        var server = new FleetPageServer(app, info, failedLogins);
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            failedLogins.Dispose();
            throw;
        }
        var url = new Uri(app.Urls.First());
        server.EndPoint = new IPEndPoint(IPAddress.Parse(url.Host.Trim('[', ']')), url.Port);
        return server;
    }

    private static bool IsPublicAsset(PathString path) => path.Value is "/site.css" or "/favicon.svg" or "/favicon.ico";

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _failedLogins.Dispose();
    }
}
