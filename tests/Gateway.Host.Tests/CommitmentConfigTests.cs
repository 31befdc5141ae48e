using Gateway.Configuration;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>Issue #18: a destination's `commitment` section is validated like the rest — every problem at once, each naming its key.</summary>
public sealed class CommitmentConfigTests
{
    private static GatewayConfig With(CommitmentConfig commitment, LocalScpConfig? scp = null, bool withoutScp = false) => new()
    {
        LocalScp = withoutScp ? null : scp ?? new LocalScpConfig(),
        Destinations = [new DestinationConfig { Name = "pacs", AeTitle = "PACS", Host = "pacs.example", Port = 104, Commitment = commitment }],
    };

    [Fact]
    public void The_defaults_have_no_problem()
    {
        Assert.Empty(ConfigValidator.Validate(With(new CommitmentConfig())));
        Assert.Empty(ConfigValidator.Validate(With(new CommitmentConfig(), new LocalScpConfig { AllowedCallingAeTitles = ["MODALITY", "PACS"] })));
    }

    [Fact]
    public void Every_bad_key_is_named()
    {
        var problems = ConfigValidator.Validate(With(new CommitmentConfig
        {
            TimeoutSeconds = 5,
            MaxRequests = 0,
            MaxSends = 101,
            SameAssociationSeconds = -1,
            BatchLimit = 0,
            ReportAeTitle = "A\\B",
        }));
        foreach (var key in new[] { "timeoutSeconds", "maxRequests", "maxSends", "sameAssociationSeconds", "batchLimit", "reportAeTitle" })
            Assert.Contains(problems, p => p.StartsWith($"destinations[0].commitment.{key}", StringComparison.Ordinal));
    }

    [Fact]
    public void Commitment_without_our_SCP_is_named()
    {
        var problem = Assert.Single(ConfigValidator.Validate(With(new CommitmentConfig(), withoutScp: true)));
        Assert.StartsWith("destinations[0].commitment: needs localScp", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_archive_our_SCP_would_refuse_is_named()
    {
        var problems = ConfigValidator.Validate(With(new CommitmentConfig(), new LocalScpConfig { AllowedCallingAeTitles = ["MODALITY"] }));
        var problem = Assert.Single(problems);
        Assert.Contains("destinations[0].commitment.reportAeTitle: 'PACS'", problem);
        Assert.Contains("allowedCallingAeTitles", problem);
    }
}
