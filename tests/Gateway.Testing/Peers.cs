namespace Gateway.Testing;

/// <summary>
/// Finds the real peers the tests run against (dcmtk, dicom3tools, pydicom …). A missing peer is a test failure, never
/// a silent skip: `scripts/test.sh` installs them, and CI must not pass without them.
/// </summary>
public static class Peers
{
    /// <summary>The Python that has Debian's python3-pydicom (not the first python3 on PATH).</summary>
    public const string DebianPython = "/usr/bin/python3";

    public static string PydicomData => "/usr/lib/python3/dist-packages/pydicom/data";

    /// <summary>The full path of a tool, or an exception naming the Debian package that provides it.</summary>
    public static string Require(string tool, string debianPackage)
    {
        if (Find(tool) is { } path)
            return path;
        throw new PeerMissingException(
            $"the real peer '{tool}' is missing: install Debian package '{debianPackage}' (scripts/test.sh does) — tests never skip it");
    }

    public static string? Find(string tool)
    {
        if (Path.IsPathRooted(tool))
            return File.Exists(tool) ? tool : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            var p = Path.Combine(dir, tool);
            if (File.Exists(p))
                return p;
        }
        return null;
    }

    public static string RequirePydicom()
    {
        Require(DebianPython, "python3");
        if (!Directory.Exists(PydicomData))
            throw new PeerMissingException("pydicom's data files are missing: install Debian package 'python3-pydicom' (scripts/test.sh does)");
        return DebianPython;
    }
}

public sealed class PeerMissingException(string message) : Exception(message);
