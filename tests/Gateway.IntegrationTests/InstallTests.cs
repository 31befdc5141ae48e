using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #7: deploy/install.sh into a staging root (DESTDIR): a new install lays out binary, configuration, profiles,
/// unit and udev rules; an upgrade keeps the configuration and the spool and keeps the previous binary; a new
/// binary that refuses the existing configuration is rolled back before anything restarts.
/// </summary>
public sealed class InstallTests
{
    private static readonly string Script = Path.Combine(Repository.Root, "deploy", "install.sh");

    /// <summary>A stand-in for the published single file: the built gateway behind a shell wrapper.</summary>
    private static string Wrapper(TempDirectory dir, string name, string body)
    {
        var path = dir.File(name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static ProcessResult Install(string root, string binary) =>
        ProcessRunner.Run("/bin/bash", [Script, binary], TimeSpan.FromMinutes(2), environment: new Dictionary<string, string> { ["DESTDIR"] = root });

    [Fact]
    public void A_new_install_then_an_upgrade_keeps_configuration_and_spool_and_a_refused_upgrade_rolls_back()
    {
        using var dir = new TempDirectory("install");
        var root = dir.File("root");
        var good = Wrapper(dir, "gateway-good", $"exec \"{GatewayExecutable.Path}\" \"$@\"");

        var first = Install(root, good);
        Assert.True(first.ExitCode == 0, first.All);
        Assert.Contains("wrote /etc/gateway/gateway.json from the example", first.StdOut, StringComparison.Ordinal);
        Assert.Contains("systemd not running here", first.StdOut, StringComparison.Ordinal);
        foreach (var file in new[] { "opt/gateway/gateway", "etc/gateway/gateway.json", "etc/gateway/profiles/fpd-1417-usb.json",
            "etc/gateway/profiles/legacy-xray-rs232.json", "etc/gateway/profiles/endoscope-footswitch.json",
            "etc/systemd/system/gateway.service", "etc/udev/rules.d/99-gateway-serial.rules" })
            Assert.True(File.Exists(Path.Combine(root, file)), file);
        Assert.True(Directory.Exists(Path.Combine(root, "var/lib/gateway")));

        // The box runs for a while: the technician edits the configuration, the spool fills.
        var config = Path.Combine(root, "etc/gateway/gateway.json");
        var edited = $$"""
            { "box": { "id": "room-7" }, "spool": { "path": "{{Path.Combine(root, "var/lib/gateway/spool")}}" },
              "destinations": [ { "name": "pacs", "aeTitle": "PACS", "host": "10.0.0.5", "port": 104 } ] }
            """;
        File.WriteAllText(config, edited);
        var spooled = Path.Combine(root, "var/lib/gateway/spool/objects/0001.dcm");
        Directory.CreateDirectory(Path.GetDirectoryName(spooled)!);
        File.WriteAllText(spooled, "an object waiting for the PACS");

        var upgrade = Install(root, good);
        Assert.True(upgrade.ExitCode == 0, upgrade.All);
        Assert.Contains("kept /etc/gateway/gateway.json", upgrade.StdOut, StringComparison.Ordinal);
        Assert.Contains("configuration valid", upgrade.StdOut, StringComparison.Ordinal);
        Assert.Contains("done (upgrade)", upgrade.StdOut, StringComparison.Ordinal);
        Assert.Equal(edited, File.ReadAllText(config));
        Assert.Equal("an object waiting for the PACS", File.ReadAllText(spooled));
        Assert.True(File.Exists(Path.Combine(root, "opt/gateway/gateway.previous")));

        // A version that refuses this configuration must not replace the running one.
        var picky = Wrapper(dir, "gateway-picky", "echo 'gateway run: box.id: no longer accepted' >&2; exit 2");
        var refused = Install(root, picky);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("previous binary is back in place", refused.All, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllText(good), File.ReadAllText(Path.Combine(root, "opt/gateway/gateway")));
        Assert.Equal(edited, File.ReadAllText(config));
        Assert.Equal("an object waiting for the PACS", File.ReadAllText(spooled));
    }
}
