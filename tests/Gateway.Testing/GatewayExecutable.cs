namespace Gateway.Testing;

/// <summary>
/// Runs the real `gateway` executable, as a user would: the one in GATEWAY_EXE when set (benchmarks point it at the
/// ReadyToRun publish that ships), else the one built beside the tests.
/// </summary>
public static class GatewayExecutable
{
    public static string Path
    {
        get
        {
            if (Environment.GetEnvironmentVariable("GATEWAY_EXE") is { Length: > 0 } configured)
                return File.Exists(configured) ? configured : throw new FileNotFoundException($"GATEWAY_EXE={configured} does not exist");
            var here = AppContext.BaseDirectory;
            var exe = System.IO.Path.Combine(here, "gateway");
            return File.Exists(exe) ? exe : throw new FileNotFoundException($"gateway executable not found beside the tests in {here}");
        }
    }

    public static ProcessResult Run(params string[] args) => ProcessRunner.Run(Path, args, TimeSpan.FromMinutes(2));
}
