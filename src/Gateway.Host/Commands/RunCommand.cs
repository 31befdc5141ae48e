using System.Runtime.InteropServices;
using Gateway.Dicom.Network;
using Gateway.Configuration;
using Gateway.Host.Service;
using Microsoft.Extensions.Logging;

namespace Gateway.Host.Commands;

/// <summary>
/// `gateway run [--config FILE] [--check]`: the daemon (<see cref="GatewayService"/>) until SIGTERM/SIGINT. A configuration with
/// problems exits 2 with all of them named; a fatal error (spool not writable, port taken) exits 1, so that systemd's
/// Restart=on-failure acts.
/// </summary>
internal static class RunCommand
{
    public const string DefaultConfig = "/etc/gateway/gateway.json";

    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        var path = args.Option("config") ?? DefaultConfig;
        var check = args.Flag("check");
        args.RejectUnknown();
        args.ExpectPositional(0, "no positional arguments");
        GatewayConfig config;
        try
        {
            // Read only: the rules are checked once, by the host's options validation (ValidateOnStart) — or here for --check.
            config = ConfigValidator.Read(path);
            if (check)
                ConfigValidator.Checked(config, path);
        }
        catch (ConfigException e)
        {
            stderr.WriteLine($"gateway run: {e.Message}");
            return Cli.BadInput;
        }
        if (check)
        {
            // deploy/install.sh asks the new binary about the existing configuration before it restarts the service.
            stdout.WriteLine($"{path}: configuration valid");
            return Cli.Ok;
        }
        using var loggers = CreateLoggers();
        using var service = new GatewayService(path, config, loggers, stdout);
        return RunUntilSignal(service, loggers, stderr);
    }

    public static ILoggerFactory CreateLoggers(LogLevel console = LogLevel.Information) =>
        LoggerFactory.Create(b =>
        {
            // Under systemd the journal takes the priority from each line's <N> prefix and stamps the time itself.
            if (Microsoft.Extensions.Hosting.Systemd.SystemdHelpers.IsSystemdService())
                b.AddSystemdConsole(o => o.UseUtcTimestamp = true);
            else
                b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
            b.AddProvider(RecentLog.Shared).SetMinimumLevel(LogLevel.Information);
            // ASP.NET Core's own chatter only from warnings up; session keys are kept unencrypted in web.stateDirectory
            // (mode 0700) on purpose — there is no key store on the box — so that warning is not repeated at every start.
            // Rules for the console name the provider: a provider's own rules win over general ones.
            foreach (var (category, level) in new (string?, LogLevel)[]
            {
                (null, console), ("Microsoft", (LogLevel)Math.Max((int)console, (int)LogLevel.Warning)), ("Microsoft.AspNetCore.DataProtection", LogLevel.Error),
            })
                b.AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(category, level);
            b.AddFilter("Microsoft", LogLevel.Warning).AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        });

    /// <summary>Runs the service on the Generic Host until SIGTERM or SIGINT; a fatal error is logged, printed and exits 1.</summary>
    public static int RunUntilSignal(GatewayService service, ILoggerFactory loggers, TextWriter stderr)
    {
        var log = loggers.CreateLogger("gateway");
        try
        {
            return GatewayHost.RunAsync(service, loggers, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException e)
        {
            // ValidateOnStart: nothing has started; every problem named, as for any bad input.
            stderr.WriteLine($"gateway run: {new ConfigException(service.ConfigPath, [.. e.Failures]).Message}");
            return Cli.BadInput;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException or DicomNetworkException
            or Gateway.Hardware.Profiles.ProfileException or ConfigException)
        {
            // Fatal: say why and exit non-zero so that systemd's Restart=on-failure acts.
            HostLog.Fatal(log, e, e.Message);
            stderr.WriteLine($"gateway run: {e.Message}");
            return Cli.Failed;
        }
    }
}
