namespace Gateway.Testing;

/// <summary>Runs the built `gateway` executable (the real CLI, as a user would) from the test's output folder.</summary>
public static class GatewayExecutable
{
    public static string Path
    {
        get
        {
            var here = AppContext.BaseDirectory;
            var exe = System.IO.Path.Combine(here, "gateway");
            return File.Exists(exe) ? exe : throw new FileNotFoundException($"gateway executable not found beside the tests in {here}");
        }
    }

    public static ProcessResult Run(params string[] args) => ProcessRunner.Run(Path, args, TimeSpan.FromMinutes(2));
}
