using System.Text.Json;
using Gateway.Testing;

namespace Gateway.Dicom.Tests;

/// <summary>pydicom's test files and character-set files (Debian python3-pydicom), read by pydicom itself.</summary>
public sealed class PydicomCorpus
{
    private static readonly Lazy<PydicomCorpus> Instance = new(() => new PydicomCorpus());

    public static PydicomCorpus Get() => Instance.Value;

    private PydicomCorpus()
    {
        Peers.RequirePydicom();
        Files = [.. new[] { "test_files", "charset_files" }
            .SelectMany(d => Directory.GetFiles(Path.Combine(Peers.PydicomData, d)))
            .Where(f => !f.EndsWith(".py", StringComparison.Ordinal) && !f.EndsWith(".pyc", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];
        Readings = Canon(Files);
    }

    public IReadOnlyList<string> Files { get; }

    /// <summary>What pydicom made of each file, by path.</summary>
    public IReadOnlyDictionary<string, PydicomReading> Readings { get; }

    public static Dictionary<string, PydicomReading> Canon(IEnumerable<string> paths)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Scripts", "canon.py");
        var result = ProcessRunner.Run(Peers.RequirePydicom(), [script, .. paths], TimeSpan.FromMinutes(5));
        if (result.ExitCode != 0)
            throw new InvalidOperationException("canon.py failed: " + result.StdErr);
        var readings = new Dictionary<string, PydicomReading>(StringComparer.Ordinal);
        foreach (var line in result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var path = root.GetProperty("path").GetString()!;
            readings[path] = root.GetProperty("ok").GetBoolean()
                ? new PydicomReading(true, root.GetProperty("compressed").GetBoolean(), root.GetProperty("elements").GetRawText(), null)
                : new PydicomReading(false, false, null, root.GetProperty("error").GetString());
        }
        return readings;
    }
}

/// <summary>One file as pydicom read it: the canonical element list (JSON) or its error.</summary>
public sealed record PydicomReading(bool Ok, bool Compressed, string? Elements, string? Error);
