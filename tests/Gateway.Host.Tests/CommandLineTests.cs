using Gateway.Testing;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>Issue #15 item 3: the parser knows which options are flags, and every verb answers --help.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public void A_flag_never_takes_the_next_argument_as_its_value()
    {
        var args = CommandArgs.Parse(["--tls", "a.dcm", "b.dcm", "--to", "h:1"]);
        Assert.True(args.Flag("tls"));
        Assert.Equal(["a.dcm", "b.dcm"], args.Positional);
        Assert.Equal("h:1", args.Option("to"));
        Assert.Throws<UsageException>(() => CommandArgs.Parse(["--yes=no"]));
    }

    [Fact]
    public void Send_with_tls_before_the_files_sends_the_files()
    {
        using var dir = new TempDirectory("cli-flags");
        var file = Path.Combine(dir.Path, "a.dcm");
        File.WriteAllBytes(file, [1, 2, 3]);
        // --tls takes no value: a.dcm is a file to send, so the complaint is the missing CA, not "no files".
        var send = GatewayExecutable.Run("send", "--tls", file, "--to", "127.0.0.1:9", "--called", "X");
        Assert.Equal(2, send.ExitCode);
        Assert.Contains("--tls-ca", send.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("at least one file", send.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("demo")]
    [InlineData("dump")]
    [InlineData("convert")]
    [InlineData("wrap")]
    [InlineData("spool")]
    [InlineData("echo")]
    [InlineData("send")]
    [InlineData("simulate")]
    [InlineData("store-scp")]
    public void Every_verb_answers_help_with_its_usage(string verb)
    {
        var help = GatewayExecutable.Run(verb, "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.StartsWith($"usage: gateway {verb}", help.StdOut, StringComparison.Ordinal);
    }
}
