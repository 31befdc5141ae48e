using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Gateway.Host.Fleet;
using Gateway.Telemetry;
using Gateway.Telemetry.Fleet;
using Gateway.Web.Fleet;
using Microsoft.Extensions.Logging;

namespace Gateway.Host.Commands;

/// <summary>
/// `gateway fleet` (issue #21): subscribes to every box's status, health and events on the broker, raises and clears
/// alarms as retained messages, serves /metrics for Prometheus (plain HTTP, allowed networks only) and, with
/// --listen-page, the fleet page (HTTPS, login; <see cref="FleetPageServer"/>), until SIGINT/SIGTERM. Its state comes only from
/// the broker. Exits 1 when its address cannot be bound, 2 on bad arguments or configuration.
/// </summary>
internal static class FleetCommand
{
    public const string Usage = "gateway fleet --broker HOST:PORT [--tls-ca FILE [--tls-cert FILE --tls-key FILE]] [--user NAME --password-file FILE] [--listen ADDR:PORT (default 127.0.0.1:9464)] [--listen-page ADDR:PORT --state DIR [--page-cert FILE --page-key FILE]] [--config FILE] [--client-id ID]   (every box on the broker: alarms as retained MQTT messages, /metrics for Prometheus, the fleet page on HTTPS)";

    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        var (host, port) = HostPort(args.Required("broker"), "--broker");
        var listen = args.Option("listen") is { } l ? EndPoint(l) : new IPEndPoint(IPAddress.Loopback, 9464);
        var user = args.Option("user");
        var passwordFile = args.Option("password-file");
        var caFile = args.Option("tls-ca");
        var certFile = args.Option("tls-cert");
        var keyFile = args.Option("tls-key");
        var clientId = args.Option("client-id");
        var configFile = args.Option("config");
        var page = PageOptions(args);
        args.RejectUnknown();
        args.ExpectPositional(0, "no positional arguments");
        if (passwordFile is not null && user is null)
            throw new UsageException("--password-file needs --user");
        if (passwordFile is not null && !File.Exists(passwordFile))
            throw new UsageException($"--password-file {passwordFile}: no such file");
        if ((certFile is null) != (keyFile is null) || (certFile is not null && caFile is null))
            throw new UsageException("--tls-cert and --tls-key go together, and with --tls-ca");
        if (caFile is not null && !File.Exists(caFile))
            throw new UsageException($"--tls-ca {caFile}: no such file");
        if (clientId is { Length: 0 or > 23 })
            throw new UsageException($"--client-id '{clientId}' must be 1 to 23 characters");
        var config = new FleetConfig();
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
                throw new UsageException($"--config {configFile}: no such file");
            config = FleetConfig.Load(configFile, out var problems);
            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                    stderr.WriteLine($"gateway fleet: {configFile}: {problem}");
                return Cli.BadInput;
            }
        }

        var connection = new TelemetryOptions
        {
            BoxId = FleetState.ReservedBoxId,
            Host = host,
            Port = port,
            ClientId = clientId,
            Username = user,
            Password = passwordFile is null ? null : File.ReadAllText(passwordFile).TrimEnd('\r', '\n'),
            TlsCaFile = caFile,
            TlsCertificateFile = certFile,
            TlsKeyFile = keyFile,
        };
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }).SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft", LogLevel.Warning)); // ASP.NET Core's own request lines would flood the log (and carry URLs)
        var state = new FleetState(config.ToOptions());
        using var metrics = new FleetMetrics(state);
        var web = new FleetWebOptions
        {
            Listen = listen, MetricsAllow = [.. config.MetricsAllow.Select(IPNetwork.Parse)], MaxBoxes = state.Options.MaxBoxes, MaxDestinations = state.Options.MaxDestinations,
        };
        FleetWebServer server;
        try
        {
            server = FleetWebServer.StartAsync(web, metrics, loggers).GetAwaiter().GetResult();
        }
        catch (IOException e)
        {
            stderr.WriteLine($"gateway fleet: cannot listen on {listen}: {e.Message}");
            return Cli.Failed;
        }
        if (!TryStartPage(page, state, loggers, stderr, out var pageServer))
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return Cli.Failed;
        }
        using var stop = new CancellationTokenSource();
        var subscriber = new FleetSubscriber(connection, state, loggers.CreateLogger("gateway.fleet"));
        var loop = Task.Run(() => subscriber.RunAsync(stop.Token));
        stdout.WriteLine($"fleet: broker {host}:{port}, topics {config.TopicPrefix}/+/status|health|events, alarms {config.TopicPrefix}/fleet/alarms/<box>, metrics http://{server.EndPoint}/metrics");
        if (pageServer is not null)
            AnnouncePage(stdout, pageServer);
        stdout.Flush();
        using var stopped = new ManualResetEventSlim();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stopped.Set(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stopped.Set(); });
        var exit = Cli.Ok;
        // The loop survives every broker failure by itself; if it ends otherwise, the view is dead: stop non-zero.
        loop.ContinueWith(_ => stopped.Set(), TaskScheduler.Default);
        stopped.Wait();
        if (loop.IsCompleted && !stop.IsCancellationRequested)
        {
            stderr.WriteLine($"gateway fleet: the broker loop stopped: {loop.Exception?.GetBaseException().Message ?? "ended"}");
            exit = Cli.Failed;
        }
        stop.Cancel();
        try
        {
            loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        pageServer?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return exit;
    }

    /// <summary>--listen-page ADDR:PORT --state DIR [--page-cert FILE --page-key FILE]: the fleet page, or null without --listen-page.</summary>
    private static FleetPageOptions? PageOptions(CommandArgs args)
    {
        var listen = args.Option("listen-page");
        var stateDirectory = args.Option("state");
        var cert = args.Option("page-cert");
        var key = args.Option("page-key");
        if (listen is null)
        {
            if (stateDirectory is not null || cert is not null || key is not null)
                throw new UsageException("--state, --page-cert and --page-key belong to the fleet page: give --listen-page ADDR:PORT too");
            return null;
        }
        if (stateDirectory is null)
            throw new UsageException("--listen-page needs --state DIR (the page's users, setup code, keys and certificate)");
        if ((cert is null) != (key is null))
            throw new UsageException("--page-cert and --page-key go together");
        foreach (var file in new[] { cert, key })
        {
            if (file is not null && !File.Exists(file))
                throw new UsageException($"{file}: no such file");
        }
        return new FleetPageOptions { Listen = EndPoint(listen, "--listen-page"), StateDirectory = stateDirectory, CertificateFile = cert, KeyFile = key };
    }

#if GATEWAY_CLI
    // The native front hands `gateway fleet --listen-page` to gateway-service (ServiceVerbs.HandOver): Razor Pages are
    // not compiled ahead of time. What runs here never has a page.
    private static bool TryStartPage(FleetPageOptions? page, FleetState state, ILoggerFactory loggers, TextWriter stderr, out IAsyncDisposable? server)
    {
        server = null;
        return page is null ? true : throw new InvalidOperationException("the fleet page reached the native front instead of gateway-service");
    }

    private static void AnnouncePage(TextWriter stdout, IAsyncDisposable page) => throw new InvalidOperationException("no fleet page in the native front");
#else
    /// <summary>The fleet page when asked for (null without --listen-page); false, said on stderr, when it cannot be served.</summary>
    private static bool TryStartPage(FleetPageOptions? page, FleetState state, ILoggerFactory loggers, TextWriter stderr, out FleetPageServer? server)
    {
        server = null;
        if (page is null)
            return true;
        try
        {
            server = FleetPageServer.StartAsync(page, state, loggers).GetAwaiter().GetResult();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or System.Text.Json.JsonException)
        {
            stderr.WriteLine($"gateway fleet: cannot serve the fleet page on {page.Listen} (state {page.StateDirectory}): {e.Message}");
            return false;
        }
    }

    /// <summary>Where the page is, its certificate's fingerprint, and while no password exists the setup code (the box's page says the same in its journal).</summary>
    private static void AnnouncePage(TextWriter stdout, FleetPageServer page)
    {
        var users = page.Info.Users;
        if (!users.IsSetUp)
            stdout.WriteLine($"fleet page not set up: open https://127.0.0.1:{page.EndPoint.Port}/setup on this machine and enter the setup code {users.SetupCode} (also in {users.SetupCodeFile}) to choose the admin password");
        stdout.WriteLine($"fleet page https://{page.EndPoint} (certificate SHA-256 {page.Info.Fingerprint})");
    }
#endif

    private static (string Host, int Port) HostPort(string value, string option)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new UsageException($"{option} '{value}' is not HOST:PORT with a port from 1 to 65535");
        return (value[..colon].Trim('[', ']'), port);
    }

    private static IPEndPoint EndPoint(string value, string option = "--listen")
    {
        var (host, port) = HostPort(value, option);
        if (!IPAddress.TryParse(host, out var address))
            throw new UsageException($"{option} '{value}': '{host}' is not an IP address");
        return new IPEndPoint(address, port);
    }
}
