namespace Gateway.Testing;

/// <summary>The checkout the tests run from (the folder holding Gateway.sln), found by walking up from the test binaries.</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Gateway.sln")))
                return d.FullName;
        }
        throw new InvalidOperationException($"no Gateway.sln above {AppContext.BaseDirectory}");
    }
}
