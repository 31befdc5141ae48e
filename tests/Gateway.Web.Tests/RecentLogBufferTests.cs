using Gateway.Shared;
using Gateway.Web.Logging;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Gateway.Web.Tests;

/// <summary>Issue #14: the System page's log keeps security events apart from chatter, one line per entry, secrets hidden.</summary>
public sealed class RecentLogBufferTests
{
    [Fact]
    public void Thousands_of_information_and_warning_lines_of_other_parts_do_not_push_the_page_s_security_events_out()
    {
        using var buffer = new RecentLogBuffer();
        var web = buffer.CreateLogger("gateway.web");
        web.Log(LogLevel.Warning, new EventId(6003), "login refused for \"mallory\"", null, (s, _) => s);
        var chatter = buffer.CreateLogger("Microsoft.AspNetCore.Antiforgery.DefaultAntiforgery");
        var forwarder = buffer.CreateLogger("gateway.forwarder");
        for (var i = 0; i < 5 * RecentLogBuffer.Capacity; i++)
        {
            chatter.Log(LogLevel.Warning, new EventId(8), "Cache-Control overridden", null, (s, _) => s);
            forwarder.Log(LogLevel.Information, new EventId(2001), "sent", null, (s, _) => s);
        }
        var security = Assert.Single(buffer.Entries(LogKind.Security));
        Assert.Equal("login refused for \"mallory\"", security.Message);
        Assert.Equal(RecentLogBuffer.Capacity, buffer.Entries(LogKind.Problem).Count);
        Assert.Equal(RecentLogBuffer.Capacity, buffer.Entries(LogKind.Other).Count);
        Assert.Equal(2 * RecentLogBuffer.Capacity + 1, buffer.Entries().Count);
    }

    [Fact]
    public void A_flood_of_events_anyone_can_cause_does_not_push_out_the_signed_in_technician_s()
    {
        using var buffer = new RecentLogBuffer();
        var web = buffer.CreateLogger(WebLog.Category);
        web.Log(LogLevel.Information, new EventId(6004), "\"admin\" logged in", null, (s, _) => s);
        web.Log(LogLevel.Information, new EventId(6005), "destination \"pacs\" saved by \"admin\"", null, (s, _) => s);
        for (var i = 0; i < 5 * RecentLogBuffer.Capacity; i++)
        {
            web.Log(LogLevel.Warning, new EventId(6003), "login refused", null, (s, _) => s);
            web.Log(LogLevel.Warning, new EventId(6009), "foreign origin", null, (s, _) => s);
        }
        Assert.Equal(["destination \"pacs\" saved by \"admin\"", "\"admin\" logged in"], buffer.Entries(LogKind.Audit).Select(e => e.Message));
        Assert.Equal(RecentLogBuffer.Capacity, buffer.Entries(LogKind.Security).Count);
        Assert.Equal(RecentLogBuffer.Capacity + 2, buffer.Entries(LogKind.Audit, LogKind.Security).Count);
    }

    [Fact]
    public void A_message_from_any_part_stays_on_one_line_and_a_value_logged_as_a_secret_is_hidden()
    {
        using var buffer = new RecentLogBuffer();
        buffer.CreateLogger("gateway.dicom").Log(LogLevel.Warning, new EventId(1001), "association from AE \"X\r\n12:00:00 info fake\"", null, (s, _) => s);
        var setup = new List<KeyValuePair<string, object?>> { new("SetupCode", "ABCDEFGHJK"), new("{OriginalFormat}", "code {SetupCode}") };
        buffer.CreateLogger("gateway.web").Log(LogLevel.Warning, new EventId(6001), setup, null, (_, _) => "enter the setup code ABCDEFGHJK now");
        var entries = buffer.Entries();
        Assert.Equal("enter the setup code [hidden] now", entries[0].Message);
        Assert.Equal("association from AE \"X\\r\\n12:00:00 info fake\"", entries[1].Message);
    }

    [Theory]
    [InlineData("admin", "\"admin\"")]
    [InlineData("a\"b\\c", "\"a\\\"b\\\\c\"")]
    [InlineData("x\n12:00", "\"x\\n12:00\"")]
    [InlineData("\u001b[31mred\u0085", "\"\\u001b[31mred\\u0085\"")]
    public void Outside_text_is_quoted_with_its_control_characters_escaped(string value, string logged) =>
        Assert.Equal(logged, LogText.Quote(value));

    [Fact]
    public void Outside_text_longer_than_a_log_line_needs_is_cut_and_says_so() =>
        Assert.Equal($"\"{new string('a', LogText.MaxLength)}\"… (500 characters)", LogText.Quote(new string('a', 500)));
}
