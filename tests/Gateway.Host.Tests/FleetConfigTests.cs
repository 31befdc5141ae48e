using Gateway.Host.Fleet;
using Gateway.Testing;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>`gateway fleet --config` (issue #21): forgetAfterHours, read from the file as an operator writes it.</summary>
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
}
