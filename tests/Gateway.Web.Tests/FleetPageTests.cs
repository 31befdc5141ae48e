using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Telemetry.Fleet;
using Gateway.Testing;
using Gateway.Web.Fleet;
using Gateway.Web.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Web.Tests;

/// <summary>
/// The fleet page of `gateway fleet` (issue #21) over real HTTPS on loopback, fed through <see cref="FleetState.Apply"/>
/// with the very payloads boxes publish: the box page's security (setup code, login, lockout, antiforgery, Origin,
/// cookies, headers), escaping of everything that came from the broker, alarms first, sorting and filtering.
/// (The browser walk with real processes is in Gateway.IntegrationTests' FleetPageTests.)
/// </summary>
public sealed partial class FleetPageTests
{
    private const string Password = "fleet password 1";

    private sealed class Fixture : IAsyncDisposable
    {
        private readonly TempDirectory _dir = new("fleetpage");
        private readonly ILoggerFactory _loggers;
        private FleetPageServer? _server;

        public Fixture(TimeProvider? time = null)
        {
            Time = time;
            _loggers = LoggerFactory.Create(b => b.AddProvider(new Provider(Log)).SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning));
            State = new FleetState(new FleetOptions(), time);
        }

        public TimeProvider? Time { get; }
        public FleetState State { get; }
        public StringWriter Log { get; } = new();
        public FleetPageServer Server => _server!;
        public string StateDirectory => _dir.File("page");
        public string BaseUrl => string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{Server.EndPoint.Port}");

        public async Task<Fixture> StartAsync()
        {
            _server = await FleetPageServer.StartAsync(
                new FleetPageOptions { Listen = new IPEndPoint(IPAddress.Loopback, FreePort.Get()), StateDirectory = StateDirectory }, State, _loggers, Time);
            return this;
        }

        public PageClient Client() => new(BaseUrl, Server.Info.Fingerprint);

        public async Task<PageClient> LoggedInAsync()
        {
            var client = Client();
            if (!Server.Info.Users.IsSetUp)
            {
                var setup = await client.SubmitAsync("/setup", new() { ["code"] = Server.Info.Users.SetupCode!, ["password"] = Password, ["confirm"] = Password });
                Assert.Contains("The password is set", setup, StringComparison.Ordinal);
            }
            var page = await client.SubmitAsync("/login", new() { ["user"] = "admin", ["password"] = Password });
            Assert.Contains("<h1>Boxes</h1>", page, StringComparison.Ordinal);
            return client;
        }

        public void Publish(string box, string leaf, string json) =>
            Assert.Null(State.Apply($"gateway/{box}/{leaf}", Encoding.UTF8.GetBytes(json), retained: false));

        public void Box(string box, bool online = true, string version = "1.0", int pending = 0, long? oldest = null, int dead = 0,
            long disk = 50L << 30, double? temperature = 45, string destination = "pacs")
        {
            var now = (Time ?? TimeProvider.System).GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
            Publish(box, "status", $$"""{"schema":1,"boxId":"{{box}}","state":"{{(online ? "online" : "offline")}}","time":"{{now}}"}""");
            var oldestJson = oldest is { } o ? o.ToString(CultureInfo.InvariantCulture) : "null";
            var temperatureJson = temperature is { } t ? t.ToString(CultureInfo.InvariantCulture) : "null";
            Publish(box, "health", $$"""
                {"schema":1,"boxId":"{{box}}","time":"{{now}}","version":{{System.Text.Json.JsonSerializer.Serialize(version)}},"uptimeSeconds":3600,
                 "device":{"profile":"sim","link":"connected","lastAcquired":null,"acquired":1,"failures":0,"problem":null},
                 "spool":{"entries":{{pending}},"bytes":1000},
                 "destinations":[{"name":{{System.Text.Json.JsonSerializer.Serialize(destination)}},"pending":{{pending}},"oldestSeconds":{{oldestJson}},"deadLetters":{{dead}},"lastSuccess":"{{now}}","failures":0,"awaitingCommitment":2}],
                 "diskFreeBytes":{{disk}},"memoryBytes":1,"cpuTemperatureC":{{temperatureJson}},"eventsDropped":0}
                """);
        }

        public async ValueTask DisposeAsync()
        {
            if (_server is not null)
                await _server.DisposeAsync();
            _loggers.Dispose();
            _dir.Dispose();
        }

        private sealed class Provider(TextWriter writer) : ILoggerProvider
        {
            public ILogger CreateLogger(string categoryName) => new Logger(writer);
            public void Dispose()
            {
            }

            private sealed class Logger(TextWriter writer) : ILogger
            {
                public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
                public bool IsEnabled(LogLevel logLevel) => true;
                public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                {
                    lock (writer)
                        writer.WriteLine($"{eventId.Id} {formatter(state, exception)}");
                }
            }
        }
    }

    [GeneratedRegex("data-box=\"([^\"]+)\"")]
    private static partial Regex BoxRow();

    private static List<string> Rows(string page) => [.. BoxRow().Matches(page).Select(m => m.Groups[1].Value)];

    [Fact]
    public async Task Before_setup_every_page_leads_to_setup_only_the_setup_code_sets_the_password_and_then_login_is_required()
    {
        await using var fleet = await new Fixture().StartAsync();
        fleet.Box("ward-1");
        using var client = fleet.Client();
        foreach (var path in new[] { "/", "/login", "/box/ward-1" })
        {
            using var r = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
            Assert.Equal("/setup", r.Headers.Location!.ToString());
        }
        var page = await client.SubmitAsync("/setup", new() { ["code"] = "WRONGCODE1", ["password"] = Password, ["confirm"] = Password });
        Assert.Contains("That is not the setup code of this fleet view", page, StringComparison.Ordinal);
        Assert.False(fleet.Server.Info.Users.IsSetUp);
        Assert.True(File.Exists(Path.Combine(fleet.StateDirectory, "setup-code")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(fleet.StateDirectory, "setup-code")));
        page = await client.SubmitAsync("/setup", new() { ["code"] = fleet.Server.Info.Users.SetupCode!, ["password"] = Password, ["confirm"] = Password });
        Assert.Contains("The password is set", page, StringComparison.Ordinal);
        Assert.Contains("pbkdf2-sha256$600000$", await File.ReadAllTextAsync(Path.Combine(fleet.StateDirectory, "users.json")), StringComparison.Ordinal);
        foreach (var path in new[] { "/", "/box/ward-1", "/box/nobody" })
        {
            using var r = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
            Assert.StartsWith("https://127.0.0.1:", r.Headers.Location!.ToString(), StringComparison.Ordinal);
            Assert.Contains("/login?ReturnUrl=", r.Headers.Location!.ToString(), StringComparison.Ordinal);
        }
        Assert.DoesNotContain("ward-1", await client.GetStringAsync("/login"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ten_wrong_passwords_lock_the_account_even_against_the_right_one()
    {
        await using var fleet = await new Fixture().StartAsync();
        (await fleet.LoggedInAsync()).Dispose();
        using var client = fleet.Client();
        var page = "";
        for (var i = 0; i < LoginThrottle.MaxFailures; i++)
        {
            page = await client.SubmitAsync("/login", new() { ["user"] = "admin", ["password"] = $"wrong guess {i}" });
            Assert.DoesNotContain("Locked out", page, StringComparison.Ordinal);
        }
        page = await client.SubmitAsync("/login", new() { ["user"] = "admin", ["password"] = Password });
        Assert.Contains("Locked out after too many wrong passwords", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<h1>Boxes</h1>", page, StringComparison.Ordinal);
        using var r = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        Assert.Contains("(locked out until", fleet.Log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("wrong guess", fleet.Log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_refused_and_one_from_another_site_too()
    {
        await using var fleet = await new Fixture().StartAsync();
        using var client = await fleet.LoggedInAsync();
        using (var r = await client.PostAsync("/logout", new(), withToken: false))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        using (var r = await client.PostAsync("/login", new() { ["user"] = "admin", ["password"] = Password }, withToken: false))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var token = await client.TokenAsync("/");
        using (var r = await client.PostWithTokenAsync("/logout", null, new(), token, ("Origin", "https://evil.example")))
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        // Still logged in: neither request ended the session.
        Assert.Contains("<h1>Boxes</h1>", await client.GetStringAsync("/"), StringComparison.Ordinal);
        // With the token, logout ends the session on the server: the saved cookie opens nothing.
        var saved = new CookieContainer();
        saved.Add(client.Cookies.GetAllCookies());
        using (var r = await client.PostWithTokenAsync("/logout", null, new(), token))
            Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        using var copy = new PageClient(fleet.BaseUrl, fleet.Server.Info.Fingerprint, saved);
        using var after = await copy.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task Cookies_and_headers_are_the_box_pages()
    {
        await using var fleet = await new Fixture().StartAsync();
        (await fleet.LoggedInAsync()).Dispose();
        using var fresh = fleet.Client();
        using var login = await fresh.PostAsync("/login", new() { ["user"] = "admin", ["password"] = Password });
        var setCookie = string.Join("\n", login.Headers.GetValues("Set-Cookie"));
        Assert.Contains("gateway.fleet.session=", setCookie, StringComparison.Ordinal);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", setCookie, StringComparison.OrdinalIgnoreCase);
        using var r = await fresh.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(PageSecurity.ContentSecurityPolicy, r.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("DENY", r.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", r.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task Everything_that_came_from_the_broker_is_shown_as_text()
    {
        await using var fleet = await new Fixture().StartAsync();
        fleet.Box("ward-x", version: "<b>1</b>\"><script>alert(1)</script>", destination: "<img src=x onerror=alert(2)>");
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        fleet.Publish("ward-x", "events", $$"""{"schema":1,"boxId":"ward-x","time":"{{now}}","kind":"<i>sent</i>","detail":"<script>alert(3)</script> & more","destination":"pacs"}""");
        using var client = await fleet.LoggedInAsync();
        var list = await client.GetStringAsync("/");
        var box = await client.GetStringAsync("/box/ward-x");
        foreach (var page in new[] { list, box })
        {
            Assert.DoesNotContain("<script>", page, StringComparison.Ordinal);
            Assert.DoesNotContain("<img src=x", page, StringComparison.Ordinal);
            Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", page, StringComparison.Ordinal);
            Assert.Contains("&lt;img src=x onerror=alert(2)&gt;", page, StringComparison.Ordinal);
        }
        Assert.Contains("&lt;script&gt;alert(3)&lt;/script&gt; &amp; more", box, StringComparison.Ordinal);
        Assert.Contains("&lt;i&gt;sent&lt;/i&gt;", box, StringComparison.Ordinal);
        using var unknown = await client.GetAsync("/box/%3Cscript%3E");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.DoesNotContain("<script>", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alarms_come_first_and_the_list_sorts_and_filters_by_its_query()
    {
        await using var fleet = await new Fixture().StartAsync();
        fleet.Box("a-quiet", version: "2.0", disk: 40L << 30, temperature: 50);
        fleet.Box("b-dead", version: "1.0", dead: 3, disk: 30L << 30, temperature: 40);
        fleet.Box("c-quiet", version: "1.5", disk: 20L << 30, temperature: null, destination: "archive");
        fleet.Box("d-hot", version: "3.0", disk: 10L << 30, temperature: 95);
        fleet.Box("e-down", online: false, version: "0.9", disk: 60L << 30, temperature: 30);
        fleet.State.EvaluateAlarms();
        using var client = await fleet.LoggedInAsync();

        Assert.Equal(["b-dead", "d-hot", "a-quiet", "c-quiet", "e-down"], Rows(await client.GetStringAsync("/")));
        Assert.Equal(["d-hot", "b-dead", "e-down", "c-quiet", "a-quiet"], Rows(await client.GetStringAsync("/?sort=box&dir=desc")));
        Assert.Equal(["d-hot", "b-dead", "c-quiet", "a-quiet", "e-down"], Rows(await client.GetStringAsync("/?sort=disk&dir=asc")));
        // A missing figure goes last either way.
        Assert.Equal(["d-hot", "b-dead", "a-quiet", "e-down", "c-quiet"], Rows(await client.GetStringAsync("/?sort=temperature&dir=desc")));
        Assert.Equal(["c-quiet", "a-quiet"], Rows(await client.GetStringAsync("/?sort=version&q=QUIET")));
        Assert.Equal(["c-quiet"], Rows(await client.GetStringAsync("/?q=archive")));
        Assert.Equal(["b-dead", "d-hot"], Rows(await client.GetStringAsync("/?show=alarms")));
        Assert.Equal(["e-down"], Rows(await client.GetStringAsync("/?show=offline")));
        Assert.Equal(["d-hot"], Rows(await client.GetStringAsync("/?q=temperature")));
        // Nonsense in the query is the default view, never an error.
        Assert.Equal(5, Rows(await client.GetStringAsync("/?sort=%3Cx%3E&dir=sideways&show=everything")).Count);
        // The column's link turns the order round.
        var sorted = await client.GetStringAsync("/?sort=disk&dir=asc");
        Assert.Contains("href=\"/?sort=disk&amp;dir=desc&amp;show=all\"", sorted, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_pages_own_refresh_does_not_keep_a_session_alive()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var fleet = await new Fixture(time).StartAsync();
        fleet.Box("ward-1");
        using var client = await fleet.LoggedInAsync();
        var page = await client.GetStringAsync("/");
        Assert.Contains("data-seconds=\"5\" data-url=\"/?sort=box&amp;dir=asc&amp;show=all&amp;refresh=1\"", page, StringComparison.Ordinal);
        for (var i = 0; i < 20; i++)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            using var r = await client.GetAsync("/?refresh=1");
            if (r.StatusCode == HttpStatusCode.Redirect)
            {
                Assert.True(i >= 14, $"ended after {i + 1} minutes");
                return;
            }
        }
        Assert.Fail("20 minutes of refreshes kept the session alive");
    }
}
