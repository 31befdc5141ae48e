using Gateway.Configuration;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>Issue #19: a destination's transferSyntaxes, allowLossy, jpegQuality and jpegLsNear are validated, each problem naming its key.</summary>
public sealed class TransferSyntaxConfigTests
{
    private static GatewayConfig With(DestinationConfig d) => new()
    {
        Destinations = [d with { Name = "pacs", AeTitle = "PACS", Host = "pacs.example", Port = 104 }],
    };

    [Fact]
    public void Lossless_lists_and_a_lossy_one_with_allowLossy_have_no_problem()
    {
        Assert.Empty(ConfigValidator.Validate(With(new DestinationConfig())));
        Assert.Empty(ConfigValidator.Validate(With(new DestinationConfig { TransferSyntaxes = ["jpeg-ls", "rle", "jpeg-lossless", "explicit", "implicit"] })));
        Assert.Empty(ConfigValidator.Validate(With(new DestinationConfig { TransferSyntaxes = ["jpeg-baseline", "jpeg-ls-near"], AllowLossy = true, JpegQuality = 75, JpegLsNear = 3 })));
        // NEAR 0 makes JPEG-LS near-lossless lossless: no allowLossy needed.
        Assert.Empty(ConfigValidator.Validate(With(new DestinationConfig { TransferSyntaxes = ["jpeg-ls-near"], JpegLsNear = 0 })));
    }

    [Fact]
    public void A_lossy_syntax_without_allowLossy_is_refused_with_the_key_to_set()
    {
        var problem = Assert.Single(ConfigValidator.Validate(With(new DestinationConfig { TransferSyntaxes = ["explicit", "jpeg-baseline"] })));
        Assert.StartsWith("destinations[0].transferSyntaxes[1]: 'jpeg-baseline' is lossy; set destinations[0].allowLossy to true", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_bad_key_is_named()
    {
        var problems = ConfigValidator.Validate(With(new DestinationConfig { TransferSyntaxes = ["jpeg2000", "rle", "rle"], JpegQuality = 0, JpegLsNear = 256 }));
        Assert.Contains(problems, p => p.StartsWith("destinations[0].transferSyntaxes[0]: 'jpeg2000' is not one of explicit, implicit, rle", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("destinations[0].transferSyntaxes[2]: 'rle' is listed twice", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("destinations[0].jpegQuality: 0", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("destinations[0].jpegLsNear: 256", StringComparison.Ordinal));
        Assert.Single(ConfigValidator.Validate(With(new DestinationConfig { TransferSyntaxes = [] })), p => p.Contains("transferSyntaxes: is empty", StringComparison.Ordinal));
    }
}
