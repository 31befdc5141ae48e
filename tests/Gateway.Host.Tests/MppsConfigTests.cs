using Gateway.Configuration;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>Issue #17: the `mpps` section is validated like the rest — every problem at once, each naming its key; unknown keys refused.</summary>
public sealed class MppsConfigTests
{
    private static List<string> Problems(MppsConfig m) => ConfigValidator.Validate(new GatewayConfig { Mpps = m });

    [Fact]
    public void A_good_section_has_no_problem_and_every_bad_key_is_named()
    {
        Assert.Empty(Problems(new MppsConfig { AeTitle = "RIS", Host = "ris.example", Port = 104 }));
        var problems = Problems(new MppsConfig
        {
            AeTitle = "",
            Host = " ",
            Port = 0,
            CallingAeTitle = "A\\B",
            Tls = new TlsConfig(),
            TimeoutSeconds = 0,
            RetryMinSeconds = 0,
            RetryMaxSeconds = 90000,
        });
        string[] keys =
        [
            "mpps.aeTitle:", "mpps.callingAeTitle:", "mpps.host: is empty", "mpps.port: 0 is not a port", "mpps.tls.caFile: is required with TLS",
            "mpps.timeoutSeconds: 0 is not between 1 and 600", "mpps.retryMinSeconds: 0 is not more than 0", "mpps.retryMaxSeconds: 90000 is not more than 0",
        ];
        foreach (var key in keys)
            Assert.Contains(problems, p => p.StartsWith(key, StringComparison.Ordinal));
        Assert.Equal(keys.Length, problems.Count);
        Assert.Contains(Problems(new MppsConfig { AeTitle = "RIS", Host = "h", Port = 104, RetryMinSeconds = 10, RetryMaxSeconds = 5 }),
            p => p.StartsWith("mpps.retryMaxSeconds: 5 is less than mpps.retryMinSeconds", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_key_in_the_section_is_named()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigValidator.Parse("""{ "mpps": { "aeTitle": "RIS", "host": "h", "port": 104, "retrySeconds": 5 } }""", "test"));
        Assert.Contains(e.Problems, p => p.Contains("mpps", StringComparison.Ordinal) && p.Contains("retrySeconds", StringComparison.Ordinal));
    }
}
