using System.Diagnostics;
using System.Text;

namespace Gateway.Testing;

/// <summary>A long-running peer (storescp, Orthanc, mosquitto, `gateway store-scp` …) started by a test and killed when disposed.</summary>
public sealed class PeerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public PeerProcess(string file, IEnumerable<string> args, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var psi = ProcessRunner.StartInfo(file, args, environment, workingDirectory);
        _process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>The exit status, once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <summary>Waits until the output contains <paramref name="text"/>.</summary>
    public void WaitForOutput(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Output.Contains(text, StringComparison.Ordinal))
                return;
            if (_process.HasExited)
                throw new InvalidOperationException($"peer exited ({_process.ExitCode}) before printing '{text}': {Output}");
            Thread.Sleep(20);
        }
        throw new TimeoutException($"peer did not print '{text}' within {timeout}: {Output}");
    }

    /// <summary>True when the process ended within <paramref name="timeout"/>.</summary>
    /// <summary>
    /// Waits for the exit, then for the end of its output: the timed WaitForExit returns before the asynchronous readers
    /// have delivered the last lines (a test reading the process's final line could miss it); the untimed one waits.
    /// </summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
            return false;
        _process.WaitForExit();
        return true;
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
