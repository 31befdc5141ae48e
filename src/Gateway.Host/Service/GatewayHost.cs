using Gateway.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Service;

/// <summary>
/// `gateway run` and `gateway demo` on the .NET Generic Host (issue #15): one host for the process, one hosted service
/// per part of <see cref="GatewayService"/> (<see cref="GatewayService.Parts"/>), <see cref="SystemdLifetime"/> for
/// READY=1 (once every part has started: the spool is recovered, the listeners are up) and STOPPING=1 whenever systemd
/// is listening (NOTIFY_SOCKET set), the console lifetime (SIGTERM/SIGINT) otherwise, and the configuration as an
/// <see cref="IOptionsMonitor{TOptions}"/> (<see cref="GatewayConfigMonitor"/>) validated by
/// <see cref="GatewayConfigValidation"/> with <c>ValidateOnStart</c>: a configuration with problems stops the start
/// (<see cref="OptionsValidationException"/>, exit 2) and never becomes the running one on a reload.
/// </summary>
internal static class GatewayHost
{
    /// <summary>Runs until SIGTERM/SIGINT (or <paramref name="stop"/>), a restart request (exit 75) or a fatal error.</summary>
    /// <param name="ownSignals">false: the caller owns the signals and stops through <paramref name="stop"/> (the demo).</param>
    public static async Task<int> RunAsync(GatewayService service, ILoggerFactory loggers, CancellationToken stop, bool ownSignals = true)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(loggers);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        // The configuration's rules as options validation, checked before any part starts (no READY=1 for a bad one).
        builder.Services.AddSingleton<IOptionsMonitor<GatewayConfig>>(service.Options);
        foreach (var validator in service.Options.Validators)
            builder.Services.AddSingleton(validator);
        builder.Services.AddOptions<GatewayConfig>().ValidateOnStart();
        var notifier = new SystemdNotifier();
        builder.Services.AddSingleton<ISystemdNotifier>(notifier);
        if (!ownSignals)
            builder.Services.AddSingleton<IHostLifetime, CallerLifetime>();
        else if (notifier.IsEnabled)
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
        else
            builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(30);
            // A part that throws in the background has already been logged and restarted by its supervisor.
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore;
        });
        foreach (var part in service.Parts(notifier))
            builder.Services.AddSingleton<IHostedService>(part);

        using var host = builder.Build();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        service.RestartRequested += lifetime.StopApplication;
        service.FatalError += lifetime.StopApplication;
        await host.RunAsync(stop).ConfigureAwait(false);
        return service.ExitCode;
    }

    /// <summary>The demo stops the host through its own token: no signal handling of the host's.</summary>
    private sealed class CallerLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

