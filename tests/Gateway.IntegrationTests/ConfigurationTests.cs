using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>Issue #7 (first part): a configuration with five mistakes gets five precise messages and exit 2.</summary>
public sealed class ConfigurationTests
{
    [Fact]
    public void Five_mistakes_give_five_messages_naming_their_keys_and_exit_2()
    {
        using var dir = new TempDirectory("config");
        var path = dir.File("gateway.json");
        File.WriteAllText(path, """
        {
          "box": { "id": "box one" },
          "spool": { "path": "/tmp/x", "quotaBytes": -1, "directoryFsync": "never" },
          "localScp": { "aeTitle": "GATEWAY", "port": 11112, "bind": "0.0.0.0" },
          "destinations": [
            { "name": "pacs", "aeTitle": "PACS", "host": "10.0.0.5", "port": 104 },
            { "name": "pacs", "aeTitle": "", "host": "archive", "port": 70000 }
          ]
        }
        """);
        var r = GatewayExecutable.Run("run", "--config", path);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("6 problem(s)", r.StdErr);
        Assert.Contains("spool.directoryFsync: 'never' is not auto or always", r.StdErr);
        Assert.Contains("box.id: 'box one'", r.StdErr);
        Assert.Contains("spool.quotaBytes: -1 is negative", r.StdErr);
        Assert.Contains("destinations[1].name: 'pacs' is used by another destination", r.StdErr);
        Assert.Contains("destinations[1].aeTitle: '' is not an AE title", r.StdErr);
        Assert.Contains("destinations[1].port: 70000 is not a port", r.StdErr);
    }

    [Fact]
    public void Unknown_keys_and_missing_files_are_named()
    {
        using var dir = new TempDirectory("config");
        var path = dir.File("gateway.json");
        File.WriteAllText(path, """{ "box": { "id": "a" }, "destinatons": [] }""");
        var r = GatewayExecutable.Run("run", "--config", path);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("destinatons", r.StdErr);
        var missing = GatewayExecutable.Run("run", "--config", dir.File("nope.json"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("does not exist", missing.StdErr);
    }
}
