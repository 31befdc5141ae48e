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
    private GatewayWeb? _web;

    public WebFixture()
    {
        Log = new StringWriter();
        _loggers = LoggerFactory.Create(b => b.AddProvider(new WriterLoggerProvider(Log)).SetMinimumLevel(LogLevel.Information));
        ConfigPath = _dir.File("gateway.json");
        var config = new GatewayConfig
        {
            Spool = new SpoolConfig { Path = _dir.File("spool") },
            Destinations = [new DestinationConfig { Name = "pacs", AeTitle = "PACS", Host = "127.0.0.1", Port = 104 }],
            Web = new WebConfig { Port = FreePort.Get(), HttpRedirectPort = 0, StateDirectory = _dir.File("web"), ProfilesDirectory = Path.Combine(Repository.Root, "hardware", "profiles") },
        };
        ConfigWriter.Save(ConfigPath, config);
        Control = new FakeGatewayControl(ConfigPath, config);
    }

    public string ConfigPath { get; }
    public FakeGatewayControl Control { get; }
    public StringWriter Log { get; }
    public GatewayWeb Web => _web!;
    public string BaseUrl => string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{Web.Port}");

    public async Task<WebFixture> StartAsync()
    {
        _web = await GatewayWeb.StartAsync(Control.Config.Web, Control, _loggers);
        return this;
    }

    public PageClient Client() => new(BaseUrl, Web.State.Fingerprint);

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

    public PageClient(string baseUrl, string fingerprint)
    {
        Cookies = new CookieContainer();
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

    public void Dispose() => _http.Dispose();
}
