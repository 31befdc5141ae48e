using Microsoft.Extensions.Options;

namespace Gateway.Configuration;

/// <summary>
/// The configuration's rules (<see cref="ConfigValidator.Validate"/>) as options validation (issue #15, STYLE 9): the
/// service registers it with <c>ValidateOnStart</c>, so a configuration with problems stops the start before any part
/// runs, every problem named; a live reload asks it too and keeps the running configuration when it fails.
/// </summary>
public sealed class GatewayConfigValidation : IValidateOptions<GatewayConfig>
{
    public ValidateOptionsResult Validate(string? name, GatewayConfig options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = ConfigValidator.Validate(options);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
