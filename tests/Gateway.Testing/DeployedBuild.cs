namespace Gateway.Testing;

/// <summary>
/// What deploy/publish.sh ships for one machine (the native `gateway` and `gateway-service` beside it), built once per
/// test process and shared by every test that needs it: the native link of both machines costs minutes on the CI box.
/// </summary>
public static class DeployedBuild
{
    private static readonly Dictionary<string, Lazy<string>> Builds = new(StringComparer.Ordinal);

    /// <summary>The folder deploy/out/<paramref name="rid"/>, published on first use; a failed publish fails every caller.</summary>
    public static string Folder(string rid)
    {
        Lazy<string> build;
        lock (Builds)
        {
            if (!Builds.TryGetValue(rid, out build!))
                Builds[rid] = build = new Lazy<string>(() => Publish(rid), LazyThreadSafetyMode.ExecutionAndPublication);
        }
        return build.Value;
    }

    /// <summary>This machine's runtime identifier (linux-x64 or linux-arm64).</summary>
    public static string ThisMachine => "linux-" + (System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "arm64" : "x64");

    /// <summary>The native `gateway` front shipped for this machine (deploy/out/RID/gateway).</summary>
    public static string Front => Path.Combine(Folder(ThisMachine), "gateway");

    /// <summary>The managed `gateway-service` beside it.</summary>
    public static string Service => Path.Combine(Folder(ThisMachine), "gateway-service");

    /// <summary>One publish at a time: two at once share the projects' restore and intermediate files and break each other.</summary>
    private static readonly Lock PublishLock = new();

    private static string Publish(string rid)
    {
        var root = Repository.Root;
        ProcessResult publish;
        lock (PublishLock)
            publish = ProcessRunner.Run(Path.Combine(root, "deploy", "publish.sh"), [rid], TimeSpan.FromMinutes(20));
        if (publish.ExitCode != 0)
            throw new InvalidOperationException($"deploy/publish.sh {rid} failed ({publish.ExitCode}): {publish.All}");
        return Path.Combine(root, "deploy", "out", rid);
    }
}
