using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Configuration;
using Xunit;

namespace Gateway.Web.Tests;

/// <summary>Issue #14's security defects, each over real HTTPS against the page on Kestrel, named after the bug.</summary>
public sealed partial class SecurityRegressionTests
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task A_session_cookie_saved_before_logout_no_longer_opens_the_system_page()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var saved = CopyOfSession(web, client);
        using (var before = web.ClientWith(saved))
        using (var r = await before.GetAsync("/system"))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        // The "Log out" button of every page's header.
        using (var logout = await client.PostWithTokenAsync("/logout", null, [], await client.TokenAsync("/")))
        {
            Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
            Assert.Equal("/login", logout.Headers.Location!.ToString());
        }
        using (var r = await client.GetAsync("/system"))
            Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);

        using var replay = web.ClientWith(saved);
        using var after = await replay.GetAsync("/system");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Contains("/login", after.Headers.Location!.ToString(), StringComparison.Ordinal);
        using var api = await replay.GetAsync("/api/status");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    [Fact]
    public async Task Changing_the_password_ends_the_other_sessions_but_not_the_one_that_changed_it()
    {
        await using var web = await new WebFixture().StartAsync();
        using var a = await web.LoggedInAsync();
        using var b = await web.LoggedInAsync();
        using (var r = await b.GetAsync("/system"))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        var page = await a.SubmitAsync("/system", new() { ["current"] = Password, ["password"] = "a new long passphrase", ["confirm"] = "a new long passphrase" }, "Password");
        Assert.Contains("Password changed; 1 other session(s) ended.", page, StringComparison.Ordinal);

        using (var r = await b.GetAsync("/system"))
            Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        using (var r = await a.GetAsync("/system"))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Fact]
    public async Task Thirty_two_parallel_logins_after_nine_wrong_passwords_get_no_more_than_ten_guesses_judged_in_all()
    {
        await using var web = await new WebFixture().StartAsync();
        (await web.LoggedInAsync()).Dispose();
        using var attacker = web.Client();
        for (var i = 0; i < 9; i++)
            Assert.Contains("Wrong user or password.", await attacker.SubmitAsync("/login", new() { ["user"] = "admin", ["password"] = $"guess {i}" }), StringComparison.Ordinal);

        var token = await attacker.TokenAsync("/login");
        var burst = Enumerable.Range(0, 32).Select(async i =>
        {
            using var r = await attacker.PostWithTokenAsync("/login", null, new() { ["user"] = "admin", ["password"] = $"parallel guess {i}" }, token);
            return await r.Content.ReadAsStringAsync();
        }).ToList();
        var pages = await Task.WhenAll(burst);

        var judged = pages.Count(p => p.Contains("Wrong user or password.", StringComparison.Ordinal));
        var locked = pages.Count(p => p.Contains("Locked out after too many wrong passwords", StringComparison.Ordinal));
        Assert.True(9 + judged <= 10, $"{9 + judged} guesses judged");
        Assert.Equal(32, judged + locked);
        Assert.True(Regex.Count(web.Log.ToString(), "^6003 ", RegexOptions.Multiline) <= 10, web.Log.ToString());
        // Locked now, even against the right password.
        Assert.Contains("Locked out", await web.Client().SubmitAsync("/login", new() { ["user"] = "admin", ["password"] = Password }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_name_with_a_line_break_cannot_forge_a_line_in_any_log()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var web = await new WebFixture(time: time).StartAsync();
        (await web.LoggedInAsync()).Dispose();
        const string forged = "x\n12:00:00 info gateway.web[6004] Web page: admin logged in from 10.66.66.66";
        using (var stranger = web.Client())
            Assert.Contains("Wrong user or password.", await stranger.SubmitAsync("/login", new() { ["user"] = forged, ["password"] = "whatever it is" }), StringComparison.Ordinal);
        using (var stranger = web.Client())
            await stranger.SubmitAsync("/login", new() { ["user"] = "y\r\u001b[2Kadmin\u2028z", ["password"] = "whatever it is" });
        time.Advance(Gateway.Web.Logging.FailedLogins.Interval); // the second refusal of the minute is in its summary line

        // The journal/console sink: no line of the forged text, the name quoted with its escapes.
        var lines = web.Log.ToString().Split('\n');
        Assert.DoesNotContain(lines, l => l.StartsWith("12:00:00", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("login refused for \"x\\n12:00:00 info gateway.web[6004] Web page: admin logged in from 10.66.66.66\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("\"y\\r\\u001b[2Kadmin\\u2028z\"", StringComparison.Ordinal));

        // The System page: every entry is one list item, and none of them is the forged one.
        using var admin = await web.LoggedInAsync();
        var page = WebUtility.HtmlDecode(await admin.GetStringAsync("/system?log=all"));
        var messages = LogMessages().Matches(page).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(messages);
        Assert.DoesNotContain(messages, m => m.StartsWith("Web page: admin logged in from 10.66.66.66", StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => m.Contains('\n') || m.Contains('\r') || m.Contains('\u001b'));
        Assert.Contains(messages, m => m.Contains("\\n12:00:00 info", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Page_views_log_no_warning_and_anonymous_requests_cannot_push_the_failed_logins_out()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var web = await new WebFixture(time: time).StartAsync();
        (await web.LoggedInAsync()).Dispose();
        using var stranger = web.Client();
        await stranger.SubmitAsync("/login", new() { ["user"] = "mallory", ["password"] = "first guess!" });
        await stranger.SubmitAsync("/login", new() { ["user"] = "mallory", ["password"] = "second guess" });
        var logged = web.Log.ToString().Length;

        for (var i = 0; i < 300; i++)
        {
            using var r = await stranger.GetAsync("/login");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        for (var i = 0; i < 100; i++)
        {
            using var r = await stranger.PostAsync("/login", new() { ["user"] = "mallory" }, withToken: false);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        }
        // 400 anonymous requests: not one line in any sink (issue #14: a Cache-Control warning per page view).
        Assert.Equal("", web.Log.ToString()[logged..]);

        time.Advance(Gateway.Web.Logging.FailedLogins.Interval);
        using var admin = await web.LoggedInAsync();
        var page = WebUtility.HtmlDecode(await admin.GetStringAsync("/system"));
        // One line per address a minute, with the count of the others (security review of #14).
        Assert.Equal(1, Regex.Count(page, "login refused for \"mallory\" from 127.0.0.1"));
        Assert.Equal(1, Regex.Count(page, "1 more login\\(s\\) refused from 127.0.0.1 since [0-9:]+, the last for \"mallory\""));
        Assert.DoesNotContain("Cache-Control", web.Log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_backup_carries_a_placeholder_for_the_MQTT_password_and_a_restore_keeps_the_password_in_use()
    {
        await using var web = await new WebFixture().StartAsync();
        const string secret = "broker-secret-771";
        Assert.Empty(await web.Control.SaveConfigAsync(web.Control.Config with { Mqtt = new MqttConfig { Host = "broker.local", Username = "box7", Password = secret } }));
        using var client = await web.LoggedInAsync();

        var backup = await client.GetStringAsync("/system/config.json");
        Assert.DoesNotContain(secret, backup, StringComparison.Ordinal);
        Assert.Contains(ConfigBackup.SecretPlaceholder, backup, StringComparison.Ordinal);

        // The same file back: nothing to do, the password stays.
        var same = await Upload(client, backup);
        Assert.Contains("nothing to restore", same, StringComparison.Ordinal);

        // Another setting changed, the broker the same: the difference is shown, then applied with the password in use.
        var changed = await Upload(client, backup.Replace("\"healthIntervalSeconds\": 30", "\"healthIntervalSeconds\": 60", StringComparison.Ordinal));
        Assert.Contains("mqtt.healthIntervalSeconds", changed, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, changed, StringComparison.Ordinal);
        Assert.Contains("Restored.", await Confirm(client, changed), StringComparison.Ordinal);
        Assert.Equal(60, web.Control.Config.Mqtt!.HealthIntervalSeconds);
        Assert.Equal(secret, web.Control.Config.Mqtt.Password);
        backup = await client.GetStringAsync("/system/config.json");

        // A changed host keeps no password: the stored one is never sent to another broker (security review of #14).
        var moved = await Upload(client, backup.Replace("broker.local", "broker2.local", StringComparison.Ordinal));
        Assert.Contains("the password kept on the box is not used for it", moved, StringComparison.Ordinal);
        Assert.Equal("broker.local", web.Control.Config.Mqtt!.Host);

        // A new password in the file replaces it.
        var renewed = await Upload(client, backup.Replace(ConfigBackup.SecretPlaceholder, "brand-new-secret", StringComparison.Ordinal));
        Assert.Contains("(a password) → (a password)", renewed, StringComparison.Ordinal);
        await Confirm(client, renewed);
        Assert.Equal("brand-new-secret", web.Control.Config.Mqtt!.Password);
    }

    [Fact]
    public async Task A_nearly_empty_restore_shows_what_it_removes_and_changes_nothing_until_that_is_confirmed()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var before = await File.ReadAllBytesAsync(web.ConfigPath);

        var page = await Upload(client, """{"box":{"id":"x"}}""");
        Assert.Contains("Restore this configuration?", page, StringComparison.Ordinal);
        Assert.Contains("<strong>destination pacs</strong>: configured → removed", page, StringComparison.Ordinal);
        Assert.DoesNotContain("destination pacs: host", page, StringComparison.Ordinal); // one line for a removed destination
        Assert.Contains("web.stateDirectory", page, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(web.ConfigPath));

        // "Restore" without accepting the removals: refused, nothing written.
        var refused = await Confirm(client, page, acceptRemovals: false);
        Assert.Contains("Tick the box to accept what this restore removes", refused, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(web.ConfigPath));
        Assert.DoesNotContain("save", web.Control.Calls);

        // Cancel forgets it.
        using var cancel = await client.PostAsync("/system", new() { ["id"] = RestoreId(page) }, "CancelRestore");
        Assert.Contains("Restore cancelled", await cancel.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("expired", await Confirm(client, page), StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(web.ConfigPath));

        // Accepted on purpose: then it is done.
        page = await Upload(client, """{"box":{"id":"x"}}""");
        Assert.Contains("Restored.", await Confirm(client, page), StringComparison.Ordinal);
        Assert.Empty(web.Control.Config.Destinations);
    }

    [Fact]
    public async Task The_HTTP_port_redirects_to_a_name_of_the_box_and_not_to_the_Host_header()
    {
        await using var web = await new WebFixture(httpRedirect: true).StartAsync();
        var http = web.Control.Config.Web.HttpRedirectPort;
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        async Task<string> Location(string host)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{http}/destinations?edit=pacs");
            request.Headers.Host = host;
            using var r = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
            return r.Headers.Location!.ToString();
        }

        Assert.Equal($"https://127.0.0.1:{web.Web.Port}/destinations?edit=pacs", await Location("evil.example"));
        Assert.Equal($"https://127.0.0.1:{web.Web.Port}/destinations?edit=pacs", await Location($"evil.example:{http}"));
        Assert.Equal($"https://localhost:{web.Web.Port}/destinations?edit=pacs", await Location($"localhost:{http}"));
        Assert.Equal($"https://127.0.0.1:{web.Web.Port}/destinations?edit=pacs", await Location($"127.0.0.1:{http}"));
    }

    [Theory]
    [InlineData("Origin", "https://evil.example")]
    [InlineData("Origin", "null")]
    [InlineData("Referer", "https://evil.example/page")]
    public async Task A_state_changing_request_from_another_origin_is_refused_even_with_session_and_token(string header, string value)
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var token = await client.TokenAsync("/spool");
        using var foreign = await client.PostWithTokenAsync("/spool", "RetryAll", [], token, (header, value));
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Empty(web.Control.Calls);
        Assert.Contains("6009 ", web.Log.ToString(), StringComparison.Ordinal);
        // Anyone can send these without logging in: a stream of them leaves one line, not a flushed log.
        for (var i = 0; i < 50; i++)
        {
            using var again = await client.PostWithTokenAsync("/spool", "RetryAll", [], token, (header, value));
            Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        }
        Assert.Equal(1, Regex.Count(web.Log.ToString(), "^6009 ", RegexOptions.Multiline));

        // The page's own origin (what a browser sends from the page) is accepted.
        using var own = await client.PostWithTokenAsync("/spool", "RetryAll", [], token, ("Origin", web.BaseUrl), ("Referer", web.BaseUrl + "/spool"));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(["retry"], web.Control.Calls);
    }

    [Fact]
    public async Task The_spent_setup_code_is_not_shown_in_the_System_page_log()
    {
        await using var web = await new WebFixture().StartAsync();
        var code = web.Web.State.Users.SetupCode!;
        using var client = await web.LoggedInAsync();
        var page = await client.GetStringAsync("/system?log=all");
        Assert.Contains("enter the setup code [hidden]", page, StringComparison.Ordinal);
        Assert.DoesNotContain(code, page, StringComparison.Ordinal);
        Assert.Contains(code, web.Log.ToString(), StringComparison.Ordinal); // the journal keeps it for root, by design
    }

    private static CookieContainer CopyOfSession(WebFixture web, PageClient client)
    {
        var copy = new CookieContainer();
        foreach (Cookie c in client.Cookies.GetAllCookies())
            copy.Add(new Uri(web.BaseUrl), new Cookie(c.Name, c.Value, c.Path, c.Domain) { Secure = c.Secure, HttpOnly = c.HttpOnly });
        return copy;
    }

    private static async Task<string> Upload(PageClient client, string json)
    {
        using var r = await client.PostMultipartAsync("/system", "Upload", "config", "gateway.json", Encoding.UTF8.GetBytes(json));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return WebUtility.HtmlDecode(await r.Content.ReadAsStringAsync());
    }

    private static async Task<string> Confirm(PageClient client, string page, bool acceptRemovals = true)
    {
        var fields = new Dictionary<string, string> { ["id"] = RestoreId(page) };
        if (acceptRemovals)
            fields["removals"] = "yes";
        return WebUtility.HtmlDecode(await client.SubmitAsync("/system", fields, "Restore"));
    }

    private static string RestoreId(string page) => RestoreIdPattern().Match(page) is { Success: true } m ? m.Groups[1].Value : "none";

    [GeneratedRegex("<input type=\"hidden\" name=\"id\" value=\"([0-9a-f]{32})\">")]
    private static partial Regex RestoreIdPattern();

    [GeneratedRegex("<span class=\"msg\">(.*?)</span></li>", RegexOptions.Singleline)]
    private static partial Regex LogMessages();
}
