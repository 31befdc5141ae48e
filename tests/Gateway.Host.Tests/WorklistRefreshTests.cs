using System.Globalization;
using Gateway.Configuration;
using Gateway.Host.Service;
using Gateway.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>
/// Issue #17: refreshes of the worklist never overlap. The page's "Refresh" tapped three times while the timer's
/// refresh runs is one association to the RIS (dcmtk's wlmscpfs, behind a socat relay that counts connections), and
/// every caller gets that one answer; a refresh after it is a new association.
/// </summary>
public sealed class WorklistRefreshTests
{
    [Fact]
    public async Task Refreshes_asked_for_while_one_runs_share_its_association_and_its_answer()
    {
        using var ris = new WlmscpfsPeer(DateTime.Now.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
        using var relay = new SocatFront(ris.Port);
        using var dir = new TempDirectory("mwl-refresh");
        var config = ConfigValidator.Parse($$"""
            { "spool": { "path": "{{dir.File("spool")}}", "minFreeBytes": 0 }, "web": { "enabled": false },
              "worklist": { "aeTitle": "WLSCP", "host": "127.0.0.1", "port": {{relay.Port}}, "refreshSeconds": 60,
                "query": { "scheduledStationAeTitle": "ROOM7", "modality": "DX", "daysBefore": 1, "daysAfter": 1 } } }
            """, "test");
        var source = WorklistSetup.Source(config, config.Worklist!, NullLogger.Instance);
        // The relay's own readiness probe is a connection too.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (relay.Connections < 1 && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        var before = relay.Connections;
        // socat logs each connection it accepts, and the test reads that from its pipe later than the answer came back:
        // waited for (up to a generous ceiling) before it is counted.
        async Task<int> ConnectionsOnceAtLeast(int n)
        {
            var until = DateTime.UtcNow.AddSeconds(30);
            while (relay.Connections < n && DateTime.UtcNow < until)
                await Task.Delay(20);
            return relay.Connections;
        }

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => source.RefreshAsync(save: true, CancellationToken.None)));
        Assert.All(answers, a => Assert.Null(a.Problem));
        Assert.Single(answers.Select(a => a.Snapshot).Distinct());
        Assert.Equal(4, answers[0].Snapshot!.Items.Count); // WL-1, WL-2, WL-3 and WL-8 with its problem
        Assert.Equal(before + 1, await ConnectionsOnceAtLeast(before + 1));

        var again = await source.RefreshAsync(save: true, CancellationToken.None);
        Assert.NotSame(answers[0].Snapshot, again.Snapshot);
        Assert.Equal(before + 2, await ConnectionsOnceAtLeast(before + 2));
    }
}
