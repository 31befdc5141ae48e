namespace Gateway.Testing;

/// <summary>dicom3tools' IOD validator: the judge of every object the gateway writes.</summary>
public static class Dciodvfy
{
    /// <summary>The "Error" lines dciodvfy prints for a file (none for a valid object).</summary>
    public static IReadOnlyList<string> Errors(string path)
    {
        var r = ProcessRunner.Run(Peers.Require("dciodvfy", "dicom3tools"), [path]);
        return [.. r.All.Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal))];
    }
}
