using Gateway.Configuration;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>Issue #18: `localScp.commitment` (the SCP side) is validated like the rest — every problem at once, each naming its key.</summary>
public sealed class ScpCommitmentConfigTests
{
    private static GatewayConfig With(ScpCommitmentConfig commitment, IReadOnlyList<string>? allowed = null) => new()
    {
        LocalScp = new LocalScpConfig { AllowedCallingAeTitles = allowed, Commitment = commitment },
    };

    private static readonly ModalityConfig Modality = new() { AeTitle = "MODALITY", Host = "10.0.0.5", Port = 104 };

    [Fact]
    public void The_defaults_with_one_modality_have_no_problem()
    {
        Assert.Empty(ConfigValidator.Validate(With(new ScpCommitmentConfig { Modalities = [Modality] })));
        Assert.Empty(ConfigValidator.Validate(With(new ScpCommitmentConfig { AnswerWhen = "spooled", Modalities = [Modality] }, ["MODALITY"])));
    }

    [Fact]
    public void Every_bad_key_is_named()
    {
        var problems = ConfigValidator.Validate(With(new ScpCommitmentConfig
        {
            AnswerWhen = "eventually",
            MaxWaitSeconds = 10,
            ReportAttempts = 0,
            RetryMinSeconds = 0,
            KeepOutcomesDays = 365,
            Modalities = [Modality, Modality with { Host = "", Port = 0 }, new ModalityConfig { AeTitle = "A\\B", Host = "h", Port = 104 }],
        }));
        foreach (var key in new[] { "answerWhen", "maxWaitSeconds", "reportAttempts", "retryMinSeconds/retryMaxSeconds", "keepOutcomesDays",
                     "modalities[1].aeTitle: 'MODALITY' is listed twice", "modalities[1].host", "modalities[1].port", "modalities[2].aeTitle" })
            Assert.Contains(problems, p => p.StartsWith($"localScp.commitment.{key}", StringComparison.Ordinal));
    }

    [Fact]
    public void No_modality_and_a_modality_our_SCP_would_refuse_are_named()
    {
        Assert.StartsWith("localScp.commitment.modalities: is empty", Assert.Single(ConfigValidator.Validate(With(new ScpCommitmentConfig()))), StringComparison.Ordinal);
        var problem = Assert.Single(ConfigValidator.Validate(With(new ScpCommitmentConfig { Modalities = [Modality] }, ["OTHER"])));
        Assert.Contains("localScp.commitment.modalities[0].aeTitle: 'MODALITY' is not in localScp.allowedCallingAeTitles", problem, StringComparison.Ordinal);
    }
}
