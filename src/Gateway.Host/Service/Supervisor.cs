using Microsoft.Extensions.Logging;

namespace Gateway.Host.Service;

/// <summary>
/// Runs a background part of the service (forwarder, device, telemetry) so that it never dies silently (issue #15
/// item 2): an exception is logged with its cause at once (event 3023) and the part is started again after a back-off
/// (1 s doubling to 60 s). While it waits it is in <c>down</c> (when given), so the watchdog is not fed until the part
/// runs again. It ends only when <c>ct</c> is cancelled or the part returns on its own.
/// </summary>
internal static class Supervisor
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(string part, Func<CancellationToken, Task> run, ILogger log, CancellationToken ct, DownParts? down = null)
    {
        var delay = First;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await run(ct).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                down?.Add(part);
                HostLog.SubsystemFailed(log, e, part, $"{e.GetType().Name}: {e.Message}", delay.TotalSeconds);
            }
            try
            {
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            finally
            {
                down?.Remove(part);
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Max.Ticks));
        }
    }
}
