using Gateway.Host.Service;
using Gateway.Testing;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>Issue #15's failure policy: a part that throws is logged at once with its cause and started again.</summary>
public sealed class SupervisorTests
{
    [Fact]
    public async Task A_part_that_throws_is_logged_at_once_and_restarted_until_it_runs()
    {
        var log = new ListLogger();
        var runs = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var running = new TaskCompletionSource();
        var supervised = Supervisor.RunAsync("device", async ct =>
        {
            if (Interlocked.Increment(ref runs) <= 2)
                throw new InvalidOperationException($"injected failure {runs}");
            running.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        }, log, stop.Token);
        await running.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(3, runs);
        var failures = log.Lines.Where(l => l.StartsWith("[3023] Error", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, failures.Count);
        Assert.Contains("device failed (InvalidOperationException: injected failure 1); restarting it in 1 s", failures[0], StringComparison.Ordinal);
        Assert.Contains("restarting it in 2 s", failures[1], StringComparison.Ordinal);
        await stop.CancelAsync();
        await supervised; // a cancelled part ends quietly
        Assert.Equal(2, log.Lines.Count);
    }
}
