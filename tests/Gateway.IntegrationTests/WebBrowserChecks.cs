using System.Globalization;
using System.Text.Json;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests;

/// <summary>
/// What every page of the technician's page must hold in a real browser (issue #14), at a phone's 390 × 844 and a
/// laptop's 1366 × 768: no horizontal overflow (scrollWidth ≤ innerWidth, from the DOM), no console error and no
/// CSP violation, every label bound to a field and every field labelled, tap targets of at least 44 px on the phone,
/// and no serious or critical axe-core violation. A screenshot of each page at each size goes to artifacts/screenshots.
/// </summary>
internal sealed class WebBrowserChecks
{
    public static readonly (string Name, int Width, int Height, bool Mobile)[] Viewports = [("phone", 390, 844, true), ("laptop", 1366, 768, false)];

    // Runs before any script of the page (CDP Page.addScriptToEvaluateOnNewDocument is not subject to the page's CSP):
    // CSP violations, failed loads and script errors are kept where the checks can read them.
    private const string Recorder = """
        window.__problems = [];
        document.addEventListener('securitypolicyviolation', function (e) {
          window.__problems.push('CSP blocked ' + e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
        });
        window.addEventListener('error', function (e) {
          var t = e.target;
          window.__problems.push(t && t !== window && (t.src || t.href) ? 'failed to load ' + (t.src || t.href) : 'script error ' + e.message);
        }, true);
        var originalError = console.error;
        console.error = function () { window.__problems.push('console.error ' + Array.prototype.join.call(arguments, ' ')); originalError.apply(console, arguments); };
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly ChromeDriver _browser;
    private readonly string _shots;
    private readonly ITestOutputHelper _output;
    private readonly string _axe;

    public WebBrowserChecks(ChromeDriver browser, string shots, ITestOutputHelper output)
    {
        _browser = browser;
        _shots = shots;
        _output = output;
        _axe = WebAxe.Script();
        browser.ExecuteCdpCommand("Page.addScriptToEvaluateOnNewDocument", new Dictionary<string, object?> { ["source"] = Recorder });
        browser.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(60);
        Use(Viewports[0]);
    }

    /// <summary>The widest page seen per viewport, for the report.</summary>
    public Dictionary<string, long> Widest { get; } = new(StringComparer.Ordinal);

    /// <summary>Pages checked, with the axe violations of every impact (serious and critical fail the test).</summary>
    public List<string> AxeSummary { get; } = [];

    public void Use((string Name, int Width, int Height, bool Mobile) v) =>
        _browser.ExecuteCdpCommand("Emulation.setDeviceMetricsOverride", new Dictionary<string, object?>
        {
            ["width"] = v.Width, ["height"] = v.Height, ["deviceScaleFactor"] = 1, ["mobile"] = v.Mobile,
        });

    /// <summary>Checks the page as it is now at both sizes, then goes back to the phone (where the walk happens).</summary>
    public void Check(string name)
    {
        var js = _browser;
        var failures = new List<string>();
        foreach (var v in Viewports)
        {
            Use(v);
            // Layout settles after the metrics change: wait until the page reports the new viewport. On a phone a page
            // wider than the screen makes the browser zoom out, so innerWidth itself grows: that is an overflow too.
            try
            {
                new WebDriverWait(_browser, TimeSpan.FromSeconds(3)).Until(_ =>
                    Convert.ToInt64(js.ExecuteScript("return window.innerWidth;"), CultureInfo.InvariantCulture) == v.Width);
            }
            catch (WebDriverTimeoutException)
            {
                // Reported below with the elements that stick out.
            }
            var at = $"{name} at {v.Width}×{v.Height}";
            var scroll = Convert.ToInt64(js.ExecuteScript("return document.documentElement.scrollWidth;"), CultureInfo.InvariantCulture);
            var inner = Convert.ToInt64(js.ExecuteScript("return window.innerWidth;"), CultureInfo.InvariantCulture);
            Widest[v.Name] = Math.Max(Widest.GetValueOrDefault(v.Name), scroll);
            _output.WriteLine($"{at}: scrollWidth {scroll}, innerWidth {inner}");
            if (scroll > inner || inner > v.Width)
            {
                var wide = js.ExecuteScript("""
                    var limit = arguments[0];
                    return Array.from(document.querySelectorAll('body *')).filter(function (e) {
                        return e.getBoundingClientRect().width > limit + 0.5 || e.scrollWidth > e.clientWidth + 1; })
                      .slice(-8).map(function (e) { return e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().width) + ' px'; }).join('; ');
                    """, v.Width);
                failures.Add($"{at}: scrollWidth {scroll}, innerWidth {inner}, screen {v.Width} ({wide})");
            }
            var unbound = js.ExecuteScript("""
                var bad = [];
                document.querySelectorAll('label').forEach(function (l) { if (!l.control || !l.htmlFor || l.control.id !== l.htmlFor) bad.push('label ' + l.textContent.trim().slice(0, 40)); });
                document.querySelectorAll('input:not([type=hidden]), select, textarea').forEach(function (e) { if (e.labels.length === 0) bad.push('field #' + e.id + ' ' + e.name); });
                return bad.join('; ');
                """) as string;
            if (!string.IsNullOrEmpty(unbound))
                failures.Add($"{at}: not bound: {unbound}");
            if (v.Mobile)
            {
                var small = js.ExecuteScript("""
                    var bad = [];
                    document.querySelectorAll('button, a.button, header a, .filters a, input:not([type=hidden]):not([type=checkbox]), select, label.check').forEach(function (e) {
                      var r = e.getBoundingClientRect();
                      if (r.width > 0 && (r.height < 43.5 || r.width < 43.5)) bad.push((e.id || e.textContent.trim().slice(0, 30)) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
                    });
                    return bad.join('; ');
                    """) as string;
                if (!string.IsNullOrEmpty(small))
                    failures.Add($"{at}: tap targets under 44 px: {small}");
            }
            var problems = js.ExecuteScript("return (window.__problems || []).join('\\n');") as string;
            if (!string.IsNullOrEmpty(problems))
                failures.Add($"{at}: console: {problems}");
            foreach (var entry in ConsoleLog())
                failures.Add($"{at}: console: {entry}");

            js.ExecuteScript(_axe);
            var json = (string)js.ExecuteAsyncScript("""
                var done = arguments[arguments.length - 1];
                axe.run(document, { resultTypes: ['violations'] }).then(function (r) {
                  done(JSON.stringify(r.violations.map(function (v) { return { id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 4).map(function (n) { return n.target.join(' '); }) }; })));
                }).catch(function (e) { done(JSON.stringify([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }])); });
                """)!;
            var violations = JsonSerializer.Deserialize<List<AxeViolation>>(json, Json)!;
            AxeSummary.Add($"{at}: {(violations.Count == 0 ? "no violations" : string.Join(", ", violations.Select(x => $"{x.Id} ({x.Impact})")))}");
            foreach (var x in violations.Where(x => x.Impact is "serious" or "critical"))
                failures.Add($"{at}: axe {x.Id} ({x.Impact}): {x.Help} — {string.Join(" | ", x.Nodes)}");
            // axe's own work must not count as the page's problem on the next check.
            js.ExecuteScript("window.__problems = [];");

            ((ITakesScreenshot)_browser).GetScreenshot().SaveAsFile(Path.Combine(_shots, $"{name}-{v.Width}.png"));
        }
        Use(Viewports[0]);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private IEnumerable<string> ConsoleLog()
    {
        try
        {
            return [.. _browser.Manage().Logs.GetLog(LogType.Browser).Where(e => e.Level >= OpenQA.Selenium.LogLevel.Severe).Select(e => e.Message)];
        }
        catch (WebDriverException)
        {
            // Without the classic log endpoint the recorder above still sees CSP violations, errors and console.error.
            return [];
        }
    }

    private sealed record AxeViolation(string Id, string? Impact, string Help, List<string> Nodes);
}
