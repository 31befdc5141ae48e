using System.Security.Cryptography;

namespace Gateway.Testing;

/// <summary>
/// dcmjs-dimse (npm), a third-party DIMSE stack, as SCP and SCU for the N-services (#16): Dcmjs/scp.js and Dcmjs/scu.js,
/// copied beside the test binaries. The npm packages (exactly Dcmjs/package-lock.json) are installed on first use into
/// ~/.cache/gateway-tests/dcmjs-&lt;hash of the lock&gt;, under a lock file and by an atomic rename, so parallel test
/// processes neither race nor see half an install. No Node, no npm or no package is a failure, never a skip.
/// </summary>
public static class DcmjsPeer
{
    private static readonly Lock InstallLock = new();
    private static string? _modules;

    /// <summary>Starts the SCP as <paramref name="aet"/> on a free loopback port (or <paramref name="port"/>: a peer that comes back where it was); it is ready when this returns.</summary>
    public static DcmjsScp StartScp(string aet, DcmjsScpConfig? config = null, int? port = null) =>
        new(Node, EnsureInstalled(), aet, config ?? new DcmjsScpConfig(), port);

    /// <summary>One association from <paramref name="calling"/> to host:port, the requests in order; waits for the end.</summary>
    public static DcmjsScuResult RunScu(string host, int port, string called, string calling, IEnumerable<DcmjsRequest> requests,
        DcmjsScuOptions? options = null, TimeSpan? timeout = null)
    {
        var modules = EnsureInstalled();
        using var dir = new TempDirectory("dcmjs-scu");
        var file = dir.File("requests.json");
        File.WriteAllText(file, (options ?? new DcmjsScuOptions()).ToJson(requests).ToJsonString());
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        var args = new[]
        {
            Script("scu.js"), "--host", host, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--called", called, "--calling", calling, "--requests", file,
            "--timeout", ((long)limit.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        // The script's own timeout ends it first with a JSON line saying so; the runner's is the backstop.
        return new DcmjsScuResult(ProcessRunner.Run(Node, args, limit + TimeSpan.FromSeconds(15), environment: Environment(modules)));
    }

    internal static string Node => Peers.Require("node", "nodejs");

    internal static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "Dcmjs", name);

    internal static Dictionary<string, string> Environment(string modules) => new(StringComparer.Ordinal)
    {
        // The scripts run from the test output; their require('dcmjs-dimse') resolves through NODE_PATH to the cache.
        ["NODE_PATH"] = modules,
    };

    /// <summary>The node_modules folder holding exactly the locked packages, installed when missing.</summary>
    public static string EnsureInstalled()
    {
        lock (InstallLock)
        {
            return _modules ??= Install();
        }
    }

    private static string Install()
    {
        var source = Path.Combine(AppContext.BaseDirectory, "Dcmjs");
        var lockFile = Path.Combine(source, "package-lock.json");
        if (!File.Exists(lockFile))
            throw new PeerMissingException($"{lockFile} is missing: the test project must copy tests/Gateway.Testing/Dcmjs to its output");
        var hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(lockFile)))[..16];
        var cache = CacheRoot();
        var target = Path.Combine(cache, $"dcmjs-{hash}");
        var modules = Path.Combine(target, "node_modules");
        if (Installed(modules))
            return modules;

        Directory.CreateDirectory(cache);
        using (AcquireFileLock(Path.Combine(cache, $"dcmjs-{hash}.lock")))
        {
            if (Installed(modules))
                return modules;
            Require("node", "nodejs");
            var npm = Require("npm", "npm");
            var staging = Path.Combine(cache, $"dcmjs-{hash}.tmp-{System.Environment.ProcessId}");
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
            Directory.CreateDirectory(staging);
            File.Copy(Path.Combine(source, "package.json"), Path.Combine(staging, "package.json"));
            File.Copy(lockFile, Path.Combine(staging, "package-lock.json"));
            try
            {
                ProcessResult result;
                try
                {
                    result = ProcessRunner.Run(npm, ["ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix", staging],
                        TimeSpan.FromMinutes(5), workingDirectory: staging);
                }
                catch (TimeoutException e)
                {
                    throw new PeerMissingException($"npm ci of dcmjs-dimse into {staging} did not finish: {e.Message}");
                }
                if (result.ExitCode != 0 || !Installed(Path.Combine(staging, "node_modules")))
                {
                    throw new PeerMissingException(
                        $"npm could not install dcmjs-dimse (tests/Gateway.Testing/Dcmjs/package-lock.json) into {cache} (exit {result.ExitCode}): {result.All}");
                }
                if (Directory.Exists(target))
                    Directory.Delete(target, recursive: true); // a broken install (no dcmjs-dimse in it)
                Directory.Move(staging, target);
            }
            finally
            {
                if (Directory.Exists(staging))
                    Directory.Delete(staging, recursive: true);
            }
        }
        return modules;
    }

    private static string Require(string tool, string package)
    {
        try
        {
            return Peers.Require(tool, package);
        }
        catch (PeerMissingException e)
        {
            throw new PeerMissingException($"{e.Message}; the dcmjs-dimse peer needs Node and npm");
        }
    }

    private static bool Installed(string modules) => File.Exists(Path.Combine(modules, "dcmjs-dimse", "package.json"));

    private static string CacheRoot()
    {
        var xdg = System.Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);
        var root = !string.IsNullOrEmpty(xdg) ? xdg : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".cache") : Path.GetTempPath();
        return Path.Combine(root, "gateway-tests");
    }

    /// <summary>An exclusive lock between processes (FileShare.None is an flock on Linux); waits up to ten minutes.</summary>
    private static FileStream AcquireFileLock(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }
}
