using Gateway.Testing;

namespace Gateway.IntegrationTests;

/// <summary>
/// axe-core from npm, installed by the test itself into artifacts/npm when it is not there yet (issue #14's
/// accessibility check). A missing Node/npm, or an install that fails, fails the test — it never skips, in CI or not.
/// </summary>
internal static class WebAxe
{
    private const string Version = "4.10.3";
    private static readonly Lock InstallLock = new();

    /// <summary>The text of axe.min.js, to run inside the page under test.</summary>
    public static string Script()
    {
        var prefix = Path.Combine(Repository.Root, "artifacts", "npm");
        var file = Path.Combine(prefix, "node_modules", "axe-core", "axe.min.js");
        lock (InstallLock)
        {
            if (!File.Exists(file))
            {
                var npm = Peers.Require("npm", "npm");
                Directory.CreateDirectory(prefix);
                var result = ProcessRunner.Run(npm, ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--no-save", $"axe-core@{Version}"], TimeSpan.FromMinutes(3));
                if (result.ExitCode != 0 || !File.Exists(file))
                    throw new InvalidOperationException($"npm could not install axe-core@{Version} into {prefix} (exit {result.ExitCode}): {result.All}");
            }
        }
        return File.ReadAllText(file);
    }
}
