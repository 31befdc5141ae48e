using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Service;

/// <summary>
/// The running configuration as an <see cref="IOptionsMonitor{TOptions}"/>. It changes only through
/// <see cref="Set"/>, which refuses a configuration <see cref="ConfigValidator"/> does not pass (a reload with problems
/// keeps the old one: the problems are logged by the caller). Readers get one whole, immutable configuration.
/// </summary>
internal sealed class GatewayConfigMonitor(GatewayConfig initial) : IOptionsMonitor<GatewayConfig>
{
    private volatile GatewayConfig _current = Check(initial);
    private event Action<GatewayConfig, string?>? Changed;

    public GatewayConfig CurrentValue => _current;

    public GatewayConfig Get(string? name) => _current;

    public IDisposable OnChange(Action<GatewayConfig, string?> listener)
    {
        Changed += listener;
        return new Subscription(() => Changed -= listener);
    }

    public void Set(GatewayConfig next)
    {
        _current = Check(next);
        Changed?.Invoke(next, Options.DefaultName);
    }

    private static GatewayConfig Check(GatewayConfig config) =>
        ConfigValidator.Validate(config) is { Count: > 0 } problems ? throw new ConfigException("configuration", problems) : config;

    private sealed class Subscription(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
