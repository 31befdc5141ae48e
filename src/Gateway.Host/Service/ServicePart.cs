using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Host.Service;

/// <summary>
/// One part of the daemon (spool, forwarder, storage SCP, device, telemetry, web page, configuration watch, watchdog)
/// as a hosted service of the Generic Host (issue #15): the host starts the parts in the order they are registered —
/// all before READY=1 — and stops them in reverse. A part whose start fails stops the start-up (the process exits 1
/// with the cause); one whose stop fails is logged and the others still stop.
/// </summary>
internal sealed class ServicePart(string name, Func<CancellationToken, Task> start, Func<Task> stop, ILogger log) : IHostedService
{
    public string Name => name;

    public Task StartAsync(CancellationToken cancellationToken) => start(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await stop().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            HostLog.PartStopFailed(log, e, name, e.Message);
        }
    }

    public override string ToString() => name;
}
