using Gateway.Acquisition.Worklist;
using Gateway.Configuration;

namespace Gateway.Host.Service;

/// <summary>
/// The worklist part (issue #17): refreshes the Modality Worklist every worklist.refreshSeconds and keeps the last
/// good list on disk. A RIS that is away is ridden out by <see cref="WorklistSource"/> (event 7002, the kept list
/// served stale); only an unexpected fault restarts the loop (Supervisor, 3023). It never holds back the watchdog:
/// without the RIS the box still acquires and sends (manual entry stays the fallback). A change of the `worklist`
/// section is applied live (the loop restarts with the new one).
/// </summary>
internal sealed partial class GatewayService
{
    private WorklistSource? _worklist;
    private CancellationTokenSource _worklistStop = new();
    private Task _refreshing = Task.CompletedTask;

    /// <summary>The worklist as last fetched or kept (null: none configured, or none yet).</summary>
    public WorklistSnapshot? CurrentWorklist => _worklist?.Current;

    private void StartWorklist()
    {
        if (_config.Worklist is not { } w)
            return;
        _worklist = WorklistSetup.Source(_config, w, loggers.CreateLogger("gateway.worklist"));
        _worklistStop = new CancellationTokenSource();
        _refreshing = Supervisor.RunAsync("worklist", _worklist.RunAsync, _log, _worklistStop.Token);
    }

    private async Task StopWorklistAsync()
    {
        var stop = _worklistStop;
        await stop.CancelAsync().ConfigureAwait(false);
        await _refreshing.ConfigureAwait(false);
        stop.Dispose();
        _worklistStop = new CancellationTokenSource(); // a later reload may stop again without a start in between
        _worklist = null;
    }

    /// <summary>For the reload: a changed `worklist` section restarts the part (true: it did).</summary>
    private async Task<bool> ReloadWorklistAsync(GatewayConfig old, GatewayConfig next)
    {
        if (GatewayConfig.ToJson(old.Worklist) == GatewayConfig.ToJson(next.Worklist))
            return false;
        await StopWorklistAsync().ConfigureAwait(false);
        StartWorklist();
        return true;
    }
}
