using Gateway.Configuration;
using Gateway.Hardware.Profiles;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>
/// What an engineer editing gateway.json by hand is told (found by a RIS engineer configuring from the docs alone):
/// every problem in one round — each unknown key with the keys known there, each value of the wrong kind in plain
/// words, and what the checks of the rest find — never a .NET type name.
/// </summary>
public sealed class ConfigReadingTests
{
    [Fact]
    public void A_typo_a_missing_query_and_a_bad_port_are_all_named_at_once_with_the_known_keys()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigValidator.Parse("""
            { "mpps": { "aeTitel": "RIS", "host": "ris", "port": 104 },
              "worklist": { "aeTitle": "WL", "host": "ris", "port": 0, "query": {} } }
            """, "gateway.json"));
        Assert.Contains(e.Problems, p => p.StartsWith("mpps.aeTitel: unknown key (known here: aeTitle, callingAeTitle, host,", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("mpps.aeTitle:", StringComparison.Ordinal)); // then empty: the checks of the rest ran too
        Assert.Contains(e.Problems, p => p.StartsWith("worklist.port:", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("worklist.query", StringComparison.Ordinal));
        Assert.DoesNotContain(e.Problems, p => p.Contains(".NET", StringComparison.Ordinal) || p.Contains("Gateway.Configuration", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{ "destinations": [ { "name": "p", "aeTitle": "P", "host": "h", "port": 104, "commitment": true } ] }""",
        "destinations[0].commitment: must be an object { … } (e.g. {} for the defaults), not true")]
    [InlineData("""{ "destinations": [ { "name": "p", "aeTitle": "P", "host": "h", "port": "104" } ] }""",
        "destinations[0].port: must be a number, not the text \"104\"")]
    [InlineData("""{ "destinations": { "name": "p" } }""", "destinations: must be a list [ … ], not an object")]
    [InlineData("""{ "web": { "enabled": "yes" } }""", "web.enabled: must be true or false, not the text \"yes\"")]
    [InlineData("""{ "box": { "id": 7 } }""", "box.id: must be a text in quotes, not the number 7")]
    public void A_value_of_the_wrong_kind_is_named_in_plain_words(string json, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigValidator.Parse(json, "gateway.json"));
        Assert.Equal(expected, Assert.Single(e.Problems));
    }

    [Fact]
    public void Several_values_of_the_wrong_kind_and_unknown_keys_are_named_together()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigValidator.Parse("""
            { "spool": { "path": 1, "minFree": 0 }, "destinations": [ { "name": "p", "port": "x" } ] }
            """, "gateway.json"));
        Assert.Equal(3, e.Problems.Count);
        Assert.Contains("spool.minFree: unknown key", e.Problems.First(p => p.StartsWith("spool.minFree", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_syntax_names_the_line()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigValidator.Parse("{ \"box\": { \"id\": \"a\" },\n  \"spool\": { \"path\" \"x\" } }", "gateway.json"));
        Assert.StartsWith("line 2:", Assert.Single(e.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void A_device_profile_with_a_typo_gets_its_other_problems_named_in_the_same_round()
    {
        var e = Assert.Throws<ProfileException>(() => ProfileLoader.Parse("""{ "schema": 1, "name": "", "serail": {} }""", "p.json"));
        Assert.Contains(e.Problems, p => p.StartsWith("serail: unknown key (known here:", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("name:", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("serial, watchFolder", StringComparison.Ordinal));
    }
}
