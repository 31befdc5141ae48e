using Gateway.Configuration;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>metrics.* (issue #21, the box's own /metrics): off by default, and every mistake named by its key.</summary>
public sealed class MetricsConfigTests
{
    private static List<string> Problems(MetricsConfig m) => ConfigValidator.Validate(new GatewayConfig { Metrics = m });

    [Fact]
    public void Off_by_default_and_the_defaults_are_valid()
    {
        Assert.False(new MetricsConfig().Enabled);
        Assert.Empty(Problems(new MetricsConfig { Enabled = true }));
        // Off: its keys are not looked at.
        Assert.Empty(Problems(new MetricsConfig { Bind = "nowhere", Port = 0 }));
    }

    [Fact]
    public void Every_mistake_is_named_by_its_key()
    {
        var problems = Problems(new MetricsConfig { Enabled = true, Bind = "localhost", Port = 8443, Allow = ["10.1.0.0/16", "ward-3"] });
        Assert.Contains(problems, p => p.StartsWith("metrics.bind: 'localhost' is not an IP address", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("metrics.port: 8443 is also the web page's port", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("metrics.allow[1]: 'ward-3' is not a network", StringComparison.Ordinal));
        Assert.Equal(3, problems.Count);
        Assert.Contains(Problems(new MetricsConfig { Enabled = true, Port = 70000 }), p => p == "metrics.port: 70000 is not a port");
        Assert.Contains(Problems(new MetricsConfig { Enabled = true, Allow = [] }), p => p.StartsWith("metrics.allow: is empty", StringComparison.Ordinal));
    }
}
