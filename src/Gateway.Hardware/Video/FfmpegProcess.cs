using System.Diagnostics;
using System.Text;

namespace Gateway.Hardware.Video;

/// <summary>
/// One ffmpeg process, started with an argument list (never a shell string), its output read by the caller from
/// <see cref="Output"/>, its standard error kept — the last <see cref="StderrLimit"/> characters only, so a chatty or
/// hostile process cannot fill memory — for the reason when it fails. <see cref="Dispose"/> kills it and its children.
/// </summary>
public sealed class FfmpegProcess : IDisposable
{
    public const int StderrLimit = 8192;

    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrPump;
    private int _disposed;

    private FfmpegProcess(Process process)
    {
        _process = process;
        _stderrPump = Task.Run(PumpStderr);
    }

    /// <summary>The ffmpeg to run: $GATEWAY_FFMPEG, else ffmpeg on PATH (Debian package ffmpeg).</summary>
    public static string Executable => Environment.GetEnvironmentVariable("GATEWAY_FFMPEG") is { Length: > 0 } e ? e : "ffmpeg";

    public Stream Output => _process.StandardOutput.BaseStream;

    public int Id => _process.Id;

    /// <summary>Starts ffmpeg; <see cref="VideoSourceException"/> when it cannot be started at all (not installed).</summary>
    public static FfmpegProcess Start(IEnumerable<string> arguments)
    {
        var psi = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-hide_banner");
        psi.ArgumentList.Add("-nostats");
        psi.ArgumentList.Add("-loglevel");
        psi.ArgumentList.Add("error");
        foreach (var a in arguments)
            psi.ArgumentList.Add(a);
        try
        {
            var p = Process.Start(psi) ?? throw new VideoSourceException("ffmpeg could not be started");
            return new FfmpegProcess(p);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new VideoSourceException($"ffmpeg could not be started ({e.Message}): install Debian package 'ffmpeg'");
        }
    }

    /// <summary>Asks ffmpeg to finish cleanly ('q' on its standard input: it flushes the encoder and closes its output).</summary>
    public void RequestStop()
    {
        try
        {
            _process.StandardInput.Write('q');
            _process.StandardInput.Flush();
            _process.StandardInput.Close();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // Already gone: nothing to stop.
        }
    }

    /// <summary>Waits for the exit; the exit code, or null when it did not exit in time (then it is killed).</summary>
    public async Task<int?> WaitAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            await _stderrPump.ConfigureAwait(false);
            return _process.ExitCode;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Kill();
            return null;
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The end of what ffmpeg said on standard error, one line (for the reason in a message).</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
                return string.Join(" | ", _stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(4));
        }
    }

    private async Task PumpStderr()
    {
        var buffer = new char[1024];
        try
        {
            int n;
            while ((n = await _process.StandardError.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                lock (_stderr)
                {
                    _stderr.Append(buffer, 0, n);
                    if (_stderr.Length > StderrLimit)
                        _stderr.Remove(0, _stderr.Length - StderrLimit);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The process went away: what it said so far is kept.
        }
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Exited meanwhile.
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        Kill();
        try
        {
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
