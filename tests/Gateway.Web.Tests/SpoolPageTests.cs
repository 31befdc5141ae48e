using Gateway.Telemetry;
using Xunit;

namespace Gateway.Web.Tests;

/// <summary>Issue #18, the SCP side on the Spool page: modalities' commitment requests that still wait for their report.</summary>
public sealed class SpoolPageTests
{
    [Fact]
    public async Task The_spool_page_says_how_many_modality_commitment_requests_wait_and_nothing_when_the_SCP_side_is_off()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        Assert.DoesNotContain("modality-commitment", await client.GetStringAsync("/spool"), StringComparison.Ordinal);

        web.Control.ModalityCommitment = new ModalityCommitmentHealth(2, 75);
        Assert.Contains("2 modality request(s) wait for their report (the oldest for 75 s)", await client.GetStringAsync("/spool"), StringComparison.Ordinal);
        web.Control.ModalityCommitment = new ModalityCommitmentHealth(0, null);
        Assert.Contains("No modality waits for a commitment report.", await client.GetStringAsync("/spool"), StringComparison.Ordinal);
    }
}
