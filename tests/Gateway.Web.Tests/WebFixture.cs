using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Gateway.Configuration;
using Gateway.Testing;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Tests;

/// <summary>The page on real Kestrel (HTTPS on a free loopback port), with its configuration in a temp file.</summary>
internal sealed partial class WebFixture : IAsyncDisposable
{
    private readonly TempDirectory _dir = new("web");
    private readonly ILoggerFactory _loggers;

    /// <summary>The loggers the page writes to (the System page's buffer among them).</summary>
    public ILoggerFactory Loggers => _loggers;
    private readonly TimeProvider? _time;
    private GatewayWeb? _web;

    /// <param name="httpRedirect">Also listen on a plain HTTP port that redirects (off by default).</param>
    /// <param name="time">The page's clock (sessions, lockout, log aggregation); the system's by default.</param>
    /// <param name="configure">Changes to the starting configuration.</param>
    public WebFixture(bool httpRedirect = false, TimeProvider? time = null, Func<GatewayConfig, GatewayConfig>? configure = null)
    {
        _time = time;
        Log = new StringWriter();
        // As `gateway run` sets it up (RunCommand.CreateLoggers): ASP.NET Core's own messages from warnings up, and the
        // System page's buffer beside the journal.
        var buffer = new Gateway.Web.Logging.RecentLogBuffer();
        _loggers = LoggerFactory.Create(b => b.AddProvider(new WriterLoggerProvider(Log)).AddProvider(buffer)
            .SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning));
        ConfigPath = _dir.File("gateway.json");
        var config = new GatewayConfig
        {
            Spool = new SpoolConfig { Path = _dir.File("spool") },
            Destinations = [new DestinationConfig { Name = "pacs", AeTitle = "PACS", Host = "127.0.0.1", Port = 104 }],
            Web = new WebConfig { Port = FreePort.Get(), HttpRedirectPort = httpRedirect ? FreePort.Get() : 0, StateDirectory = _dir.File("web"), ProfilesDirectory = Path.Combine(Repository.Root, "hardware", "profiles") },
        };
        config = configure?.Invoke(config) ?? config;
        ConfigWriter.Save(ConfigPath, config);
        Control = new FakeGatewayControl(ConfigPath, config, buffer);
    }

    public string ConfigPath { get; }
    public FakeGatewayControl Control { get; }
    public StringWriter Log { get; }
    public GatewayWeb Web => _web!;
    public string BaseUrl => string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{Web.Port}");

    public async Task<WebFixture> StartAsync()
    {
        _web = await GatewayWeb.StartAsync(Control.Config.Web, Control, _loggers, _time);
        return this;
    }

    public PageClient Client() => new(BaseUrl, Web.State.Fingerprint);

    /// <summary>A client that starts with these cookies (a saved copy of a session).</summary>
    public PageClient ClientWith(CookieContainer cookies) => new(BaseUrl, Web.State.Fingerprint, cookies);

    /// <summary>Sets the admin password with the setup code and returns a logged-in client.</summary>
    public async Task<PageClient> LoggedInAsync(string password = "correct horse battery")
    {
        var client = Client();
        if (!Web.State.Users.IsSetUp)
        {
            var setup = await client.SubmitAsync("/setup", new() { ["code"] = Web.State.Users.SetupCode!, ["password"] = password, ["confirm"] = password });
            if (!setup.Contains("The password is set", StringComparison.Ordinal))
                throw new InvalidOperationException(setup);
        }
        var login = await client.SubmitAsync("/login", new() { ["user"] = "admin", ["password"] = password });
        if (!login.Contains("<h1>Status</h1>", StringComparison.Ordinal))
            throw new InvalidOperationException(login);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (_web is not null)
            await _web.DisposeAsync();
        _loggers.Dispose();
        _dir.Dispose();
    }

    private sealed class WriterLoggerProvider(TextWriter writer) : ILoggerProvider
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

/// <summary>A browser without a browser: cookies, the page's certificate pinned by fingerprint, forms with their antiforgery token.</summary>
internal sealed partial class PageClient : IDisposable
{
    private readonly HttpClient _http;

    public PageClient(string baseUrl, string fingerprint, CookieContainer? cookies = null)
    {
        Cookies = cookies ?? new CookieContainer();
        var handler = new HttpClientHandler
        {
            CookieContainer = Cookies,
            AllowAutoRedirect = false,
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
                cert is not null && Gateway.Web.Security.HttpsCertificate.Fingerprint(cert) == fingerprint,
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri(baseUrl) };
    }

    public CookieContainer Cookies { get; }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(path);

    public async Task<string> GetStringAsync(string path)
    {
        using var r = await _http.GetAsync(path);
        return await r.Content.ReadAsStringAsync();
    }

    /// <summary>Loads the form's page for its token, posts the fields, follows one redirect; returns the resulting page.</summary>
    public async Task<string> SubmitAsync(string path, Dictionary<string, string> fields, string? handler = null)
    {
        using var response = await PostAsync(path, fields, handler, withToken: true);
        if (response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found)
            return await GetStringAsync(response.Headers.Location!.ToString());
        return await response.Content.ReadAsStringAsync();
    }

    public async Task<HttpResponseMessage> PostAsync(string path, Dictionary<string, string> fields, string? handler = null, bool withToken = true)
    {
        var form = new Dictionary<string, string>(fields);
        if (withToken)
        {
            var page = await GetStringAsync(path);
            var match = TokenPattern().Match(page);
            if (match.Success)
                form["__RequestVerificationToken"] = WebUtility.HtmlDecode(match.Groups[1].Value);
        }
        using var content = new FormUrlEncodedContent(form);
        return await _http.PostAsync(handler is null ? path : $"{path}?handler={handler}", content);
    }

    public Task<HttpResponseMessage> PostMultipartAsync(string path, string handler, string field, string fileName, byte[] bytes) =>
        PostFilesAsync(path, handler, (field, fileName, bytes));

    public Task<HttpResponseMessage> PostFilesAsync(string path, string handler, params (string Field, string FileName, byte[] Bytes)[] files) =>
        PostFilesAsync(path, handler, [], files);

    public async Task<HttpResponseMessage> PostFilesAsync(string path, string handler, Dictionary<string, string> fields, params (string Field, string FileName, byte[] Bytes)[] files)
    {
        var page = await GetStringAsync(path);
        using var content = new MultipartFormDataContent
        {
            { new StringContent(WebUtility.HtmlDecode(TokenPattern().Match(page).Groups[1].Value)), "__RequestVerificationToken" },
        };
        foreach (var (name, value) in fields)
            content.Add(new StringContent(value), name);
        foreach (var (field, fileName, bytes) in files)
            content.Add(new ByteArrayContent(bytes), field, fileName);
        return await _http.PostAsync($"{path}?handler={handler}", content);
    }

    /// <summary>The antiforgery token of a page's form (the cookie it belongs to stays in <see cref="Cookies"/>).</summary>
    public async Task<string> TokenAsync(string path)
    {
        var match = TokenPattern().Match(await GetStringAsync(path));
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : throw new InvalidOperationException($"{path} has no form token");
    }

    /// <summary>A form post with a token fetched before and extra headers (Origin, Referer), as a browser or an attacker sends it.</summary>
    public async Task<HttpResponseMessage> PostWithTokenAsync(string path, string? handler, Dictionary<string, string> fields, string token, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, handler is null ? path : $"{path}?handler={handler}")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = token }),
        };
        foreach (var (name, value) in headers)
            request.Headers.TryAddWithoutValidation(name, value);
        return await _http.SendAsync(request);
    }

    public void Dispose() => _http.Dispose();
}
