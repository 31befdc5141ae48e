using System.Text.Json;
using Gateway.Host.Fleet;
using Gateway.Testing;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>`gateway fleet --config` (issue #21): read from the file as an operator writes it, through the generated contract the native front uses.</summary>
public sealed class FleetConfigTests
{
    private static (FleetConfig Config, List<string> Problems) Load(string json)
    {
        using var dir = new TempDirectory("fleet-config");
        var file = dir.File("fleet.json");
        File.WriteAllText(file, json);
        var config = FleetConfig.Load(file, out var problems);
        return (config, problems);
    }

    [Fact]
    public void Boxes_are_forgotten_after_a_week_by_default_after_the_hours_given_or_never_with_null()
    {
        var (defaults, none) = Load("{}");
        Assert.Empty(none);
        Assert.Equal(TimeSpan.FromDays(7), defaults.ToOptions().ForgetAfter);
        Assert.Equal(TimeSpan.FromMinutes(90), Load("""{ "forgetAfterHours": 1.5 }""").Config.ToOptions().ForgetAfter);
        var (never, problems) = Load("""{ "forgetAfterHours": null }""");
        Assert.Empty(problems);
        Assert.Null(never.ToOptions().ForgetAfter);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("87601")]
    public void A_forget_after_out_of_range_is_named(string hours)
    {
        var (_, problems) = Load($$"""{ "forgetAfterHours": {{hours}} }""");
        Assert.StartsWith($"forgetAfterHours: {hours} is not above 0", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_names_one_threshold_keeps_every_other_default_at_every_depth()
    {
        var (config, problems) = Load("""{ "alarms": { "offlineMinutes": 1 }, "limits": { "eventsPerBox": 7 } }""");
        Assert.Empty(problems);
        var expected = new FleetConfig { Alarms = new FleetAlarmsConfig { OfflineMinutes = 1 }, Limits = new FleetLimitsConfig { EventsPerBox = 7 } };
        Assert.Equal(JsonSerializer.Serialize(expected, FleetConfigJson.Default.FleetConfig), JsonSerializer.Serialize(config, FleetConfigJson.Default.FleetConfig));
        Assert.Equal(60, config.Alarms.SpoolOldestMinutes);
        Assert.Equal(5000, config.Limits.MaxBoxes);
    }

    [Theory]
    [InlineData("topicPrefix", "topicPrefix: must be a text in quotes, not null")]
    [InlineData("metricsAllow", "metricsAllow: must be a list [ … ], not null")]
    [InlineData("limits", "limits: must be an object { … } (e.g. {} for the defaults), not null")]
    [InlineData("alarms", "alarms: must be an object { … } (e.g. {} for the defaults), not null")]
    public void Null_where_the_file_needs_a_value_is_named_not_a_crash(string key, string expected)
    {
        var (_, problems) = Load($$"""{ "{{key}}": null }""");
        Assert.Equal(expected, Assert.Single(problems));
    }

    [Fact]
    public void Unknown_keys_and_out_of_range_values_are_named_in_one_round()
    {
        var (_, problems) = Load("""{ "limits": { "maxBox": 10 }, "alarms": { "offlineMinutes": -1 } }""");
        Assert.Equal(
            ["limits.maxBox: unknown key (known here: eventsPerBox, maxBoxes, maxPayloadBytes)", "alarms.offlineMinutes: -1 must be above 0 (null turns the alarm off)"],
            problems);
    }
}
