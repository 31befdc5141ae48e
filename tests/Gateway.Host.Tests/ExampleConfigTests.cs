using Gateway.Configuration;
using Gateway.Testing;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>deploy/gateway.json, the example install.sh copies: it must read as a configuration; on a build machine
/// only the files it points to on the box (profile, CA) are missing.</summary>
public sealed class ExampleConfigTests
{
    [Fact]
    public void The_example_configuration_has_no_mistake_but_the_box_files_it_names()
    {
        var path = Path.Combine(Repository.Root, "deploy", "gateway.json");
        var e = Assert.Throws<ConfigException>(() => ConfigValidator.Load(path));
        Assert.All(e.Problems, p => Assert.True(p.Contains("does not exist", StringComparison.Ordinal), p));
        var text = File.ReadAllText(path).Replace("/etc/gateway/profiles/", Path.Combine(Repository.Root, "hardware", "profiles") + "/", StringComparison.Ordinal);
        e = Assert.Throws<ConfigException>(() => ConfigValidator.Parse(text, "example"));
        Assert.All(e.Problems, p => Assert.Contains("/etc/gateway/hospital-ca.pem does not exist", p, StringComparison.Ordinal));
    }
}
