using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gateway.Configuration;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Web.Tests;

/// <summary>
/// The security review of issue #14's page, each defect over real HTTPS against the page on Kestrel, named after the
/// bug. Items 1 and 2 also run against the real `gateway run` (Gateway.IntegrationTests, WebSecurityReviewTests).
/// </summary>
public sealed partial class SecurityReviewTests
{
    private const string Password = "correct horse battery";
    private const string Secret = "broker-secret-771";

    [Fact]
    public async Task A_restore_never_changes_the_next_patient_and_the_backup_carries_no_exam()
    {
        await using var web = await new WebFixture(configure: c => c with
        {
            Exam = JsonDocument.Parse("""{ "PatientID": "P-NOW", "PatientName": "NOW^Patient" }""").RootElement.Clone(),
        }).StartAsync();
        using var client = await web.LoggedInAsync();
        var backup = await client.GetStringAsync("/system/config.json");
        Assert.DoesNotContain("NOW^Patient", backup, StringComparison.Ordinal);
        Assert.DoesNotContain("\"exam\"", backup, StringComparison.Ordinal);

        // A file with another patient (an old backup, someone else's box): the page does not even mention the exam.
        var other = Edit(backup, o =>
        {
            o["exam"] = JsonNode.Parse("""{ "PatientID": "P-OTHER", "PatientName": "OTHER^Patient" }""");
            o["box"]!["id"] = "room-9";
        });
        var page = await Upload(client, other);
        Assert.Contains("box.id", page, StringComparison.Ordinal);
        Assert.DoesNotContain("exam", RestoreList(page), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("OTHER", page, StringComparison.Ordinal);
        Assert.Contains("a restore never changes who the next patient is", page, StringComparison.Ordinal);
        Assert.Contains("Restored.", await Confirm(client, page), StringComparison.Ordinal);
        Assert.Equal("room-9", web.Control.Config.Box.Id);
        Assert.Equal("NOW^Patient", web.Control.Config.Exam!.Value.GetProperty("PatientName").GetString());
        Assert.DoesNotContain("exam", web.Control.Calls);

        // A file with only an exam: nothing to restore.
        var onlyExam = await Upload(client, other);
        Assert.Contains("nothing to restore", onlyExam, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_stored_MQTT_password_is_not_sent_to_another_broker_by_Test_or_Save()
    {
        await using var web = await new WebFixture(configure: c => c with
        {
            Mqtt = new MqttConfig { Host = "broker.local", Port = 1883, Username = "box7", Password = Secret },
        }).StartAsync();
        using var client = await web.LoggedInAsync();

        // The same broker and user, the field empty: the stored password is used for the test.
        await client.SubmitAsync("/mqtt", new() { ["host"] = "broker.local", ["port"] = "1883", ["username"] = "box7" }, "Test");
        Assert.Equal(Secret, Assert.Single(web.Control.MqttTests).Password);

        // Another host, port, user or TLS with the field empty: asked again, nothing sent.
        foreach (var fields in new Dictionary<string, string>[]
        {
            new() { ["host"] = "attacker.example", ["port"] = "1883", ["username"] = "box7" },
            new() { ["host"] = "broker.local", ["port"] = "1884", ["username"] = "box7" },
            new() { ["host"] = "broker.local", ["port"] = "1883", ["username"] = "someone" },
        })
        {
            foreach (var handler in new[] { "Test", "Save" })
            {
                var page = WebUtility.HtmlDecode(await client.SubmitAsync("/mqtt", fields, handler));
                Assert.Contains("Type the password again", FieldText(page, "error-password"), StringComparison.Ordinal);
            }
        }
        Assert.Single(web.Control.MqttTests);
        Assert.Equal("broker.local", web.Control.Config.Mqtt!.Host);
        Assert.DoesNotContain("save", web.Control.Calls);

        // With the password typed again, another broker is fine.
        await client.SubmitAsync("/mqtt", new() { ["host"] = "broker2.local", ["port"] = "1883", ["username"] = "box7", ["password"] = "its own" }, "Test");
        Assert.Equal(("broker2.local", "its own"), (web.Control.MqttTests[^1].Host, web.Control.MqttTests[^1].Password));
        // Every test is in the audit log: who tested which broker.
        Assert.Equal(2, Regex.Count(web.Log.ToString(), "^6005 Web page: MQTT connection test to \"[^\"]+\":1883 as \"box7\" by \"admin\"", RegexOptions.Multiline));
    }

    [Fact]
    public async Task A_restore_that_moves_MQTT_to_another_broker_does_not_keep_the_stored_password()
    {
        await using var web = await new WebFixture(configure: c => c with
        {
            Mqtt = new MqttConfig { Host = "broker.local", Username = "box7", Password = Secret },
        }).StartAsync();
        using var client = await web.LoggedInAsync();
        var backup = await client.GetStringAsync("/system/config.json");
        var before = await File.ReadAllBytesAsync(web.ConfigPath);

        foreach (var moved in new[]
        {
            Edit(backup, o => o["mqtt"]!["host"] = "attacker.example"),
            Edit(backup, o => o["mqtt"]!["port"] = 8883),
            Edit(backup, o => o["mqtt"]!["username"] = "other"),
        })
        {
            Assert.NotEqual(backup, moved);
            var page = await Upload(client, moved);
            Assert.Contains("Not restored", page, StringComparison.Ordinal);
            Assert.Contains("the password kept on the box is not used for it", page, StringComparison.Ordinal);
            Assert.DoesNotContain("Restore this configuration?", page, StringComparison.Ordinal);
            Assert.Equal(before, await File.ReadAllBytesAsync(web.ConfigPath));
        }

        // The new broker's password in the file: shown as a consequence, restored after the tick.
        var renewed = await Upload(client, backup.Replace("broker.local", "broker2.local", StringComparison.Ordinal)
            .Replace(ConfigBackup.SecretPlaceholder, "brand-new-secret", StringComparison.Ordinal));
        Assert.Contains("telemetry goes to the broker broker2.local instead of broker.local", renewed, StringComparison.Ordinal);
        Assert.Contains("Restored.", await Confirm(client, renewed), StringComparison.Ordinal);
        Assert.Equal(("broker2.local", "brand-new-secret"), (web.Control.Config.Mqtt!.Host, web.Control.Config.Mqtt.Password));
    }

    [Fact]
    public async Task The_status_page_polling_does_not_keep_an_idle_session_alive()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var web = await new WebFixture(time: time).StartAsync();
        using var client = await web.LoggedInAsync();
        var idle = TimeSpan.FromMinutes(web.Control.Config.Web.IdleMinutes);

        // The page left open: it polls every 2 s (here past half the idle time, when a sliding cookie is renewed), nobody touches it.
        time.Advance(idle / 2 + TimeSpan.FromSeconds(1));
        using (var r = await client.GetAsync("/api/status"))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.False(RenewsSession(r), "a poll renewed the session cookie");
        }
        time.Advance(idle / 2);
        using (var r = await client.GetAsync("/api/status"))
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        using (var r = await client.GetAsync("/system"))
            Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);

        // A page the technician opens is activity: that session lives on.
        using var active = await web.LoggedInAsync();
        time.Advance(idle / 2 + TimeSpan.FromSeconds(1));
        using (var r = await active.GetAsync("/spool"))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.True(RenewsSession(r), "a page view did not renew the session cookie");
        }
        time.Advance(idle / 2);
        using (var r = await active.GetAsync("/api/status"))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Fact]
    public async Task Parallel_password_changes_with_wrong_current_passwords_are_held_by_the_lockout()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        Dictionary<string, string> Change(string current) => new() { ["current"] = current, ["password"] = "a new long passphrase", ["confirm"] = "a new long passphrase" };
        for (var i = 0; i < 9; i++)
            Assert.Contains("This is not the current password.", await client.SubmitAsync("/system", Change($"guess {i}"), "Password"), StringComparison.Ordinal);

        var token = await client.TokenAsync("/system");
        var pages = await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
        {
            using var r = await client.PostWithTokenAsync("/system", "Password", Change($"parallel guess {i}"), token);
            return await r.Content.ReadAsStringAsync();
        }));
        var judged = pages.Count(p => p.Contains("This is not the current password.", StringComparison.Ordinal));
        var locked = pages.Count(p => p.Contains("Locked out after too many wrong passwords", StringComparison.Ordinal));
        Assert.True(9 + judged <= 10, $"{9 + judged} guesses judged");
        Assert.Equal(16, judged + locked);

        // Locked: the right current password changes nothing, and the login form is locked too.
        Assert.Contains("Locked out", await client.SubmitAsync("/system", Change(Password), "Password"), StringComparison.Ordinal);
        Assert.True(web.Web.State.Users.Verify("admin", Password));
        Assert.Contains("Locked out", await web.Client().SubmitAsync("/login", new() { ["user"] = "admin", ["password"] = Password }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_right_current_password_clears_the_count_of_wrong_ones()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        for (var i = 0; i < 9; i++)
            await client.SubmitAsync("/system", new() { ["current"] = $"guess {i}", ["password"] = "short", ["confirm"] = "short" }, "Password");
        // Right current password, weak new one: refused for the weakness, but the count starts again.
        await client.SubmitAsync("/system", new() { ["current"] = Password, ["password"] = "short", ["confirm"] = "short" }, "Password");
        for (var i = 0; i < 9; i++)
            Assert.Contains("This is not the current password.", await client.SubmitAsync("/system", new() { ["current"] = $"again {i}", ["password"] = "short", ["confirm"] = "short" }, "Password"), StringComparison.Ordinal);
        Assert.Contains("Password changed.", await client.SubmitAsync("/system", new() { ["current"] = Password, ["password"] = "a new long passphrase", ["confirm"] = "a new long passphrase" }, "Password"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restore_that_sends_data_elsewhere_says_so_in_plain_words_and_needs_the_tick()
    {
        await using var web = await new WebFixture(configure: c => c with
        {
            Mqtt = new MqttConfig { Host = "broker.local" },
            LocalScp = new LocalScpConfig { AllowedCallingAeTitles = ["MODALITY1"] },
        }).StartAsync();
        using var client = await web.LoggedInAsync();
        var backup = await client.GetStringAsync("/system/config.json");
        var before = await File.ReadAllBytesAsync(web.ConfigPath);
        var redirected = Edit(backup, o =>
        {
            o["destinations"]![0]!["host"] = "10.9.9.9";
            o["destinations"]![0]!["aeTitle"] = "OTHERPACS";
            o["mqtt"]!["host"] = "broker.elsewhere";
            o["localScp"]!["allowedCallingAeTitles"] = new JsonArray("MODALITY1", "ANYONE");
            o["spool"]!["path"] = "/tmp/other-spool";
            o["web"]!["bindBeforeSetup"] = "0.0.0.0";
        });
        var page = await Upload(client, redirected);
        var list = RestoreList(page);
        foreach (var said in new[]
        {
            "images for pacs go to the host 10.9.9.9 instead of 127.0.0.1",
            "images for pacs go to the AE title OTHERPACS instead of PACS",
            "telemetry goes to the broker broker.elsewhere instead of broker.local",
            "the storage SCP also accepts images from ANYONE",
            "images are kept in /tmp/other-spool instead of " + web.Control.Config.Spool.Path,
            "before its password is set, the page listens on 0.0.0.0 instead of 127.0.0.1",
        })
        {
            Assert.Contains(said, list, StringComparison.Ordinal);
        }

        var refused = await Confirm(client, page, accept: false);
        Assert.Contains("Tick the box to accept what this restore removes or sends elsewhere", refused, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(web.ConfigPath));
        Assert.Contains("Restored.", await Confirm(client, page), StringComparison.Ordinal);
        Assert.Equal("10.9.9.9", web.Control.Config.Destinations[0].Host);

        // Removing the list of allowed callers is the loosest change of all.
        var open = await Upload(client, Edit(await client.GetStringAsync("/system/config.json"), o => o["localScp"]!.AsObject().Remove("allowedCallingAeTitles")));
        Assert.Contains("the storage SCP accepts images from any calling AE title", RestoreList(open), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refused_logins_are_one_line_per_address_a_minute_and_cannot_push_the_signed_in_events_out()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var web = await new WebFixture(time: time).StartAsync();
        using var admin = await web.LoggedInAsync();
        await admin.SubmitAsync("/spool", [], "RetryAll");

        using var stranger = web.Client();
        for (var i = 0; i < 5; i++)
            Assert.Contains("Wrong user or password.", await stranger.SubmitAsync("/login", new() { ["user"] = $"mallory{i}", ["password"] = "a guess" }), StringComparison.Ordinal);
        Assert.Equal(1, Regex.Count(web.Log.ToString(), "^6003 ", RegexOptions.Multiline));
        Assert.Contains("6003 Web page: login refused for \"mallory0\" from 127.0.0.1", web.Log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("6011 ", web.Log.ToString(), StringComparison.Ordinal);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Matches("(?m)^6011 Web page: 4 more login\\(s\\) refused from 127.0.0.1 since [0-9:]+, the last for \"mallory4\"", web.Log.ToString());

        // The page: the anonymous events and the technician's in one security log, each from its own buffer.
        var page = WebUtility.HtmlDecode(await admin.GetStringAsync("/system"));
        Assert.Contains("login refused for \"mallory0\"", page, StringComparison.Ordinal);
        Assert.Contains("4 more login(s) refused from 127.0.0.1", page, StringComparison.Ordinal);
        Assert.Contains("\"admin\" logged in from", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_backup_placeholder_is_not_accepted_as_a_password_outside_the_restore()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var page = WebUtility.HtmlDecode(await client.SubmitAsync("/mqtt", new() { ["host"] = "broker.local", ["port"] = "1883", ["username"] = "box7", ["password"] = ConfigBackup.SecretPlaceholder }, "Save"));
        Assert.Contains("is what a backup from the web page holds instead of the password", FieldText(page, "error-password"), StringComparison.Ordinal);
        Assert.Null(web.Control.Config.Mqtt);

        // A backup copied into place as the configuration file: refused at start, with the same sentence.
        var e = Assert.Throws<ConfigException>(() => ConfigValidator.Parse(
            """{ "mqtt": { "host": "broker.local", "username": "box7", "password": "(kept on the box)" } }""", "gateway.json"));
        Assert.Contains(e.Problems, p => p.StartsWith("mqtt.password: \"(kept on the box)\" is what a backup from the web page holds", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("https://evil.example", "evil.example")]
    [InlineData("https://evil.example:{port}", "evil.example:{port}")]
    [InlineData("https://127.0.0.1:1", null)]
    [InlineData("http://127.0.0.1:{port}", null)]
    public async Task The_Origin_check_does_not_trust_the_Host_header(string origin, string? host)
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var port = web.Web.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var token = await client.TokenAsync("/spool");
        (string, string)[] headers = host is null
            ? [("Origin", origin.Replace("{port}", port, StringComparison.Ordinal))]
            : [("Origin", origin.Replace("{port}", port, StringComparison.Ordinal)), ("Host", host.Replace("{port}", port, StringComparison.Ordinal))];
        using var foreign = await client.PostWithTokenAsync("/spool", "RetryAll", [], token, headers);
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Empty(web.Control.Calls);

        // Another of the box's own names (the certificate names localhost) is this page.
        using var own = await client.PostWithTokenAsync("/spool", "RetryAll", [], token, ("Origin", $"https://localhost:{port}"));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task A_cross_site_request_without_Origin_is_refused()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var token = await client.TokenAsync("/spool");
        using var foreign = await client.PostWithTokenAsync("/spool", "RetryAll", [], token, ("Sec-Fetch-Site", "cross-site"));
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        using var own = await client.PostWithTokenAsync("/spool", "RetryAll", [], token, ("Sec-Fetch-Site", "same-origin"));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(["retry"], web.Control.Calls);
    }

    [Fact]
    public async Task A_bad_page_certificate_is_explained_without_configuration_keys()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        using var r = await client.PostFilesAsync("/system", "Certificate",
            ("certificate", "cert.pem", Encoding.ASCII.GetBytes("not a certificate")), ("key", "key.pem", Encoding.ASCII.GetBytes("not a key")));
        var text = FieldText(WebUtility.HtmlDecode(await r.Content.ReadAsStringAsync()), "error-https-cert");
        Assert.StartsWith("Certificate not used: ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("web.", text, StringComparison.Ordinal);
    }

    private static async Task<string> Upload(PageClient client, string json)
    {
        using var r = await client.PostMultipartAsync("/system", "Upload", "config", "gateway.json", Encoding.UTF8.GetBytes(json));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return WebUtility.HtmlDecode(await r.Content.ReadAsStringAsync());
    }

    private static async Task<string> Confirm(PageClient client, string page, bool accept = true)
    {
        var fields = new Dictionary<string, string> { ["id"] = RestoreIdPattern().Match(page) is { Success: true } m ? m.Groups[1].Value : "none" };
        if (accept)
            fields["removals"] = "yes";
        return WebUtility.HtmlDecode(await client.SubmitAsync("/system", fields, "Restore"));
    }

    private static bool RenewsSession(HttpResponseMessage r) =>
        r.Headers.TryGetValues("Set-Cookie", out var set) && set.Any(c => c.StartsWith("gateway.session=", StringComparison.Ordinal));

    private static string Edit(string json, Action<JsonObject> change)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        change(o);
        return o.ToJsonString();
    }

    private static string RestoreList(string page) =>
        Regex.Match(page, "<ul class=\"changes\">(.*?)</ul>", RegexOptions.Singleline) is { Success: true } m ? m.Groups[1].Value : "";

    private static string FieldText(string page, string id)
    {
        var m = Regex.Match(page, $"<span class=\"field-error\" id=\"{Regex.Escape(id)}\">(.*?)</span>", RegexOptions.Singleline);
        Assert.True(m.Success, $"no {id} on the page");
        return m.Groups[1].Value.Trim();
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"id\" value=\"([0-9a-f]{32})\">")]
    private static partial Regex RestoreIdPattern();
}
