using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Service;

/// <summary>
/// The running configuration as an <see cref="IOptionsMonitor{TOptions}"/> whose values have passed the
/// <see cref="IValidateOptions{TOptions}"/> validators it was given (<see cref="GatewayConfigValidation"/>). The first
/// configuration is validated on its first read — the host's <c>ValidateOnStart</c> makes that read before any part
/// starts, so problems throw <see cref="OptionsValidationException"/> with every failure. Later ones come through
/// <see cref="TrySet"/>, which keeps the old configuration when the new one fails (the caller logs why): unlike the
/// framework's monitor, which drops its cached value and throws on every read after an invalid reload. Readers get one
/// whole, immutable configuration; thread-safe.
/// </summary>
internal sealed class GatewayConfigMonitor(GatewayConfig initial, IReadOnlyList<IValidateOptions<GatewayConfig>> validators) : IOptionsMonitor<GatewayConfig>
{
    private volatile GatewayConfig? _current;
    private event Action<GatewayConfig, string?>? Changed;

    /// <summary>The validators every value passes (registered in the host as well, for <c>ValidateOnStart</c>).</summary>
    public IReadOnlyList<IValidateOptions<GatewayConfig>> Validators => validators;

    public GatewayConfig CurrentValue => _current ?? First();

    public GatewayConfig Get(string? name) => CurrentValue;

    public IDisposable OnChange(Action<GatewayConfig, string?> listener)
    {
        Changed += listener;
        return new Subscription(() => Changed -= listener);
    }

    /// <summary>Makes <paramref name="next"/> the running configuration if it passes; otherwise false, the old one stays.</summary>
    public bool TrySet(GatewayConfig next, out IReadOnlyList<string> problems)
    {
        problems = Problems(next);
        if (problems.Count > 0)
            return false;
        _current = next;
        Changed?.Invoke(next, Options.DefaultName);
        return true;
    }

    private GatewayConfig First()
    {
        var problems = Problems(initial);
        if (problems.Count > 0)
            throw new OptionsValidationException(Options.DefaultName, typeof(GatewayConfig), problems);
        return _current ??= initial;
    }

    private List<string> Problems(GatewayConfig config)
    {
        var problems = new List<string>();
        foreach (var validator in validators)
        {
            if (validator.Validate(Options.DefaultName, config) is { Failed: true } result)
                problems.AddRange(result.Failures ?? [result.FailureMessage]);
        }
        return problems;
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
