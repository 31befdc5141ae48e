using Gateway.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #21's load test at CI size (scripts/bench.sh fleet runs it at 1,000 boxes and prints the figures): 200
/// simulated boxes on a site broker bridged over TLS to the central one, the real `gateway fleet` at the centre.
/// Correctness only, never timings: every box is shown with its per-box series, and the boxes whose connections are
/// frozen without a DISCONNECT are shown offline (their wills reach the centre) while the others stay up.
/// </summary>
public sealed class FleetLoadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_box_of_two_hundred_is_shown_and_frozen_connections_are_shown_offline()
    {
        var r = await FleetLoad.Run(boxes: 200, victims: 20, healthInterval: TimeSpan.FromSeconds(5), keepAlive: TimeSpan.FromSeconds(5),
            steady: TimeSpan.FromSeconds(10), output.WriteLine);
        output.WriteLine(r.ToString());
        Assert.True(r.BoxesWithSeries == 200, r.Diagnostics);
        Assert.Equal(200, r.BoxesSeries);
        Assert.True(r.OfflineShown == 20, $"{r.OfflineShown} of 20 frozen boxes shown offline\n{r.Diagnostics}");
        Assert.Equal(20, r.WillsSeen);
        Assert.Equal(180, r.SurvivorsStillUp);
        Assert.Equal(200 * 6, r.AlarmSeries);
        Assert.False(r.Overflowed, "the exporter folded series into otel_metric_overflow");
    }
}
