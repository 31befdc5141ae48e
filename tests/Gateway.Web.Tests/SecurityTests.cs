using System.Net;
using Gateway.Web.Security;
using Xunit;

namespace Gateway.Web.Tests;

/// <summary>Issue #8 security acceptance, over real HTTPS on loopback.</summary>
public sealed class SecurityTests
{
    /// <summary>Every state-changing request of the page: (path, handler).</summary>
    public static TheoryData<string, string?> StateChanging => new()
    {
        { "/destinations", "Save" }, { "/destinations", "Remove" }, { "/destinations", "Test" },
        { "/exam", null }, { "/spool", "Retry" }, { "/spool", "RetryAll" }, { "/spool", "PurgeAll" },
        { "/device", "Save" }, { "/device", "Capture" }, { "/mqtt", "Save" }, { "/mqtt", "Test" },
        { "/system", "Upload" }, { "/system", "Restore" }, { "/system", "CancelRestore" }, { "/system", "Certificate" }, { "/system", "Password" },
        { "/system", "Restart" }, { "/logout", null },
        { "/worklist", "Select" }, { "/worklist", "Refresh" }, { "/", "End" }, { "/", "Cancel" }, { "/", "Clear" },
    };

    [Fact]
    public async Task Before_setup_every_page_leads_to_setup_and_a_wrong_code_sets_nothing()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = web.Client();
        foreach (var path in new[] { "/", "/login", "/destinations", "/system/config.json", "/api/status" })
        {
            using var r = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
            Assert.Equal("/setup", r.Headers.Location!.ToString());
        }
        var page = await client.SubmitAsync("/setup", new() { ["code"] = "WRONGCODE1", ["password"] = "correct horse battery", ["confirm"] = "correct horse battery" });
        Assert.Contains("That is not the setup code of this box", page, StringComparison.Ordinal);
        Assert.False(web.Web.State.Users.IsSetUp);
        page = await client.SubmitAsync("/setup", new() { ["code"] = web.Web.State.Users.SetupCode!, ["password"] = "short", ["confirm"] = "short" });
        Assert.Contains("at least 12 characters", page, StringComparison.Ordinal);
        Assert.False(web.Web.State.Users.IsSetUp);
        Assert.Contains(web.Web.State.Users.SetupCode!, web.Log.ToString(), StringComparison.Ordinal); // the journal has it, by design
    }

    [Fact]
    public async Task The_setup_code_works_once_and_the_password_is_stored_as_a_salted_PBKDF2_hash()
    {
        await using var web = await new WebFixture().StartAsync();
        var code = web.Web.State.Users.SetupCode!;
        using var client = await web.LoggedInAsync();
        var users = await File.ReadAllTextAsync(Path.Combine(web.Control.Config.Web.StateDirectory, "users.json"));
        Assert.Contains("pbkdf2-sha256$600000$", users, StringComparison.Ordinal);
        Assert.DoesNotContain("correct horse battery", users, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(web.Control.Config.Web.StateDirectory, "setup-code")));
        Assert.False(web.Web.State.Users.TrySetUp(code, "another password 1"));
        Assert.DoesNotContain("correct horse battery", web.Log.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(StateChanging))]
    public async Task Without_a_session_a_state_changing_request_goes_to_the_login_page_and_changes_nothing(string path, string? handler)
    {
        await using var web = await new WebFixture().StartAsync();
        (await web.LoggedInAsync()).Dispose();
        var before = await File.ReadAllTextAsync(web.ConfigPath);
        using var stranger = web.Client();
        using var r = await stranger.PostAsync(path, new() { ["name"] = "pacs", ["confirm"] = "yes" }, handler, withToken: false);
        Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        Assert.Contains("/login", r.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Empty(web.Control.Calls);
        Assert.Equal(before, await File.ReadAllTextAsync(web.ConfigPath));
        using var api = await stranger.GetAsync("/api/status");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    [Theory]
    [MemberData(nameof(StateChanging))]
    public async Task With_a_session_but_without_the_antiforgery_token_a_request_is_refused_with_400(string path, string? handler)
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var before = await File.ReadAllTextAsync(web.ConfigPath);
        using var r = await client.PostAsync(path, new() { ["name"] = "pacs", ["confirm"] = "yes" }, handler, withToken: false);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Empty(web.Control.Calls);
        Assert.Equal(before, await File.ReadAllTextAsync(web.ConfigPath));
    }

    [Fact]
    public async Task Twenty_wrong_passwords_lock_the_account_even_against_the_right_one()
    {
        await using var web = await new WebFixture().StartAsync();
        (await web.LoggedInAsync("the right password")).Dispose();
        using var client = web.Client();
        string page = "";
        for (var i = 0; i < 20; i++)
            page = await client.SubmitAsync("/login", new() { ["user"] = "admin", ["password"] = $"wrong guess {i}" });
        Assert.Contains("Locked out after too many wrong passwords", page, StringComparison.Ordinal);
        page = await client.SubmitAsync("/login", new() { ["user"] = "admin", ["password"] = "the right password" });
        Assert.Contains("Locked out", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<h1>Status</h1>", page, StringComparison.Ordinal);
        Assert.Contains("(locked out until", web.Log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("wrong guess", web.Log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_and_antiforgery_cookies_are_HttpOnly_Secure_SameSite_Strict_and_headers_forbid_framing()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var cookies = client.Cookies.GetAllCookies();
        var session = Assert.Single(cookies, c => c.Name == "gateway.session");
        Assert.True(session.HttpOnly);
        Assert.True(session.Secure);
        using var r = await client.GetAsync("/");
        Assert.Equal("DENY", r.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("default-src 'self'", r.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("nosniff", r.Headers.GetValues("X-Content-Type-Options").Single());
        // SameSite is not kept by CookieContainer: read it from the Set-Cookie header of a fresh login.
        using var fresh = web.Client();
        using var login = await fresh.PostAsync("/login", new() { ["user"] = "admin", ["password"] = "correct horse battery" });
        var setCookie = string.Join("\n", login.Headers.GetValues("Set-Cookie"));
        Assert.Contains("gateway.session=", setCookie, StringComparison.Ordinal);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", setCookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Password_hashes_verify_only_the_password_they_were_made_from()
    {
        var hash = PasswordHasher.Hash("a long passphrase", iterations: 1000);
        Assert.True(PasswordHasher.Verify("a long passphrase", hash));
        Assert.False(PasswordHasher.Verify("a long passphrasE", hash));
        Assert.NotEqual(hash, PasswordHasher.Hash("a long passphrase", iterations: 1000)); // per-hash salt
    }
}
