using Gateway.Configuration;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>Issue #17: the `worklist` section is validated like the rest — every problem at once, each naming its key.</summary>
public sealed class WorklistConfigTests
{
    private static readonly WorklistConfig Good = new()
    {
        AeTitle = "RIS",
        Host = "ris.example",
        Port = 104,
        Query = new WorklistQueryConfig { ScheduledStationAeTitle = "ROOM7", Modality = "DX", DaysBefore = 1, DaysAfter = 2, StationName = "Room 7" },
    };

    private static List<string> Problems(WorklistConfig w) => ConfigValidator.Validate(new GatewayConfig { Worklist = w });

    [Fact]
    public void A_good_section_and_no_section_have_no_problem()
    {
        Assert.Empty(Problems(Good));
        Assert.Empty(ConfigValidator.Validate(new GatewayConfig()));
        Assert.Empty(Problems(Good with { Query = new WorklistQueryConfig { Modality = "US" } }));
        Assert.Empty(Problems(Good with { Query = new WorklistQueryConfig { ScheduledStationAeTitle = "ROOM7" } }));
    }

    [Fact]
    public void Every_bad_key_is_named()
    {
        var problems = Problems(new WorklistConfig
        {
            AeTitle = "",
            Host = " ",
            Port = 70000,
            CallingAeTitle = "A\\B",
            Tls = new TlsConfig(),
            RefreshSeconds = 1,
            TimeoutSeconds = 0,
            Query = new WorklistQueryConfig { ScheduledStationAeTitle = "SEVENTEEN-CHARS-X", Modality = "dx", DaysBefore = -1, DaysAfter = 32, StationName = "Room*" },
        });
        string[] keys =
        [
            "worklist.aeTitle:", "worklist.callingAeTitle:", "worklist.host: is empty", "worklist.port: 70000 is not a port",
            "worklist.tls.caFile: is required with TLS", "worklist.refreshSeconds: 1 is not between 5 and 86400",
            "worklist.timeoutSeconds: 0 is not between 1 and 600", "worklist.query.scheduledStationAeTitle:",
            "worklist.query.modality: 'dx' is not a modality", "worklist.query.daysBefore: -1 is not between 0 and 31",
            "worklist.query.daysAfter: 32 is not between 0 and 31", "worklist.query.stationName: 'Room*' is not a station name",
        ];
        foreach (var key in keys)
            Assert.Contains(problems, p => p.StartsWith(key, StringComparison.Ordinal));
        Assert.Equal(keys.Length, problems.Count);
    }

    [Fact]
    public void A_query_for_every_room_of_the_hospital_is_refused()
    {
        var problem = Assert.Single(Problems(Good with { Query = new WorklistQueryConfig { DaysAfter = 1 } }));
        Assert.StartsWith("worklist.query: give scheduledStationAeTitle and/or modality", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_section_is_read_from_the_file_with_unknown_keys_refused()
    {
        var config = ConfigValidator.Parse("""
            { "worklist": { "aeTitle": "RIS", "host": "127.0.0.1", "port": 104, "refreshSeconds": 30,
                            "query": { "modality": "DX", "daysBefore": 0, "daysAfter": 1 } } }
            """, "test");
        Assert.Equal(new WorklistQueryConfig { Modality = "DX", DaysAfter = 1 }, config.Worklist!.Query);
        Assert.Equal("GATEWAY", config.Worklist.CallingAeTitle);
        var e = Assert.Throws<ConfigException>(() => ConfigValidator.Parse("""{ "worklist": { "aeTitle": "RIS", "host": "h", "port": 1, "query": { "modality": "DX", "date": "today" } } }""", "test"));
        Assert.Contains("worklist.query", Assert.Single(e.Problems), StringComparison.Ordinal);
    }
}
