using System.Runtime.InteropServices;

namespace Gateway.Host;

/// <summary>
/// The native front's side of the service verbs (run, demo, spool, simulate, worklist, exam, capture, and fleet with
/// its page): they need the Generic Host, ASP.NET Core's Razor Pages or reflection-based JSON, which Native AOT cannot
/// compile, so this process replaces itself with the managed `gateway-service` beside it (execv: same process id for
/// systemd, same arguments, environment and open descriptors). Gateway.Host has its own ServiceVerbs that runs them
/// in-process. `gateway fleet` without --listen-page (the broker, the alarms, /metrics) runs here, compiled ahead of
/// time: at 1,000 boxes 63 MiB against 101-106 MiB for the managed view (docs/benchmarks.md, "The view compiled
/// ahead of time").
/// </summary>
internal static partial class ServiceVerbs
{
    /// <summary>The managed executable the service verbs run in, next to this one (deploy/publish.sh ships both).</summary>
    public const string ServiceExecutable = "gateway-service";

    private static readonly HashSet<string> Names = new(StringComparer.Ordinal) { "run", "demo", "spool", "simulate", "worklist", "exam", "capture", "fleet" };

    public static readonly Func<CommandArgs, TextWriter, TextWriter, int> Run = NotHere;
    public static readonly Func<CommandArgs, TextWriter, TextWriter, int> Demo = NotHere;
    public static readonly Func<CommandArgs, TextWriter, TextWriter, int> Spool = NotHere;
    public static readonly Func<CommandArgs, TextWriter, TextWriter, int> Simulate = NotHere;
    public static readonly Func<CommandArgs, TextWriter, TextWriter, int> Worklist = NotHere;
    public static readonly Func<CommandArgs, TextWriter, TextWriter, int> Exam = NotHere;
    public static readonly Func<CommandArgs, TextWriter, TextWriter, int> Capture = NotHere;
    public static readonly Func<CommandArgs, TextWriter, TextWriter, int> Fleet = Commands.FleetCommand.Run;

    /// <summary>
    /// Hands a service verb to <see cref="ServiceExecutable"/>; returns only when that failed (with the exit code to
    /// give), or null when <paramref name="args"/> is not a service verb.
    /// </summary>
    public static int? HandOver(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (!Names.Contains(args[0]) || (args[0] == "fleet" && !WithPage(args)))
            return null;
        // /proc/self/exe: the real file, also when started through a symbolic link (/usr/local/bin/gateway).
        var self = Environment.ProcessPath;
        var folder = self is null ? AppContext.BaseDirectory : Path.GetDirectoryName(self) ?? AppContext.BaseDirectory;
        var service = Path.Combine(folder, ServiceExecutable);
        if (!File.Exists(service))
        {
            stderr.WriteLine($"gateway {args[0]}: this verb runs in {service}, which is missing (deploy/publish.sh builds it beside gateway)");
            return Cli.Failed;
        }
        if (args[0] == "fleet")
        {
            // The fleet view allocates a few MB a second in small short-lived objects (messages, scrapes) and keeps
            // ~12 MB alive at 1,000 boxes; the GC sized its youngest generation from the CPU's cache (16 MB on a 32 MB
            // L3), which it then kept committed: 36 MB committed for 12 MB alive (docs/benchmarks.md, "Fleet view").
            // A 4 MB budget costs a few more cheap collections. Only for this verb (a box's process keeps the
            // runtime's default), and only when the operator has not set it. GC settings are read as the runtime
            // starts, so they go through the environment that execv hands on.
            _ = SetEnv("DOTNET_GCgen0size", "0x400000", overwrite: 0);
            // Its code is the ReadyToRun code as published: no second, JIT-compiled tier of the hot methods (and no
            // call counting to find them). At 1,000 boxes that kept 5-9 MiB less resident (118-122 MiB instead of
            // 123-128 at the end) for half a point to a point more of a core (6.5-6.7 % instead of 5.5-6.1 %),
            // docs/benchmarks.md "Fleet view".
            _ = SetEnv("DOTNET_TieredCompilation", "0", overwrite: 0);
        }
        stdout.Flush();
        stderr.Flush();
        string?[] argv = [service, .. args, null];
        Execv(service, argv);
        var errno = Marshal.GetLastPInvokeError();
        stderr.WriteLine($"gateway {args[0]}: cannot start {service}: {Marshal.GetPInvokeErrorMessage(errno)}");
        return Cli.Failed;
    }

    /// <summary>Whether `gateway fleet` was asked for its page (Razor Pages: the managed executable's); a usage mistake stays here, to be said.</summary>
    private static bool WithPage(string[] args)
    {
        try
        {
            return CommandArgs.Parse(args[1..]).Option("listen-page") is not null;
        }
        catch (UsageException)
        {
            return false;
        }
    }

    private static int NotHere(CommandArgs args, TextWriter stdout, TextWriter stderr) =>
        throw new InvalidOperationException("a service verb reached the native front instead of gateway-service");

    /// <summary>setenv(3): the C environment, which execv hands on (Environment.SetEnvironmentVariable does not change it).</summary>
    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    /// <summary>execv(3): replaces the process image; returns -1 (errno set) only when it failed.</summary>
    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execv(string path, string?[] argv);
}
