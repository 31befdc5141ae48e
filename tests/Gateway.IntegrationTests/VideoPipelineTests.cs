using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Testing;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #20 as processes: `gateway run` with the endoscopy-video profile (ffmpeg's test pattern as the grabber),
/// Orthanc as the PACS, mosquitto as the broker, headless Chromium as the technician. On the device page the preview
/// shows the grabber's picture, "Take a still" and "Start clip" / "Stop clip" make a VL Endoscopic still and a Video
/// Endoscopic clip, both go through the spool into Orthanc, and MQTT says each was sent. The page passes the same
/// checks as every other page (phone and laptop sizes, axe-core).
/// </summary>
public sealed class VideoPipelineTests(ITestOutputHelper output)
{
    private const string Password = "Endoscopy-Room-2!";

    [Fact]
    public void A_still_and_a_clip_from_the_page_reach_Orthanc_with_MQTT_events()
    {
        using var dir = new TempDirectory("video-pipeline");
        using var orthanc = new OrthancPeer();
        using var broker = new MosquittoPeer();
        var profiles = Directory.CreateDirectory(dir.File("profiles")).FullName;
        var profile = JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.Root, "hardware", "profiles", "endoscopy-video.json")),
            documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;
        profile["video"]!["source"] = "test";
        profile["video"]!["size"] = "640x360";
        var profilePath = Path.Combine(profiles, "endoscopy-video.json");
        File.WriteAllText(profilePath, profile.ToJsonString());
        var webPort = FreePort.Get();
        var config = dir.File("gateway.json");
        File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture, $$"""
            { "box": { "id": "endo-2" },
              "spool": { "path": "{{dir.File("spool")}}", "minFreeBytes": 0 },
              "destinations": [ { "name": "pacs", "aeTitle": "{{orthanc.AeTitle}}", "host": "127.0.0.1", "port": {{orthanc.DicomPort}}, "retryMinSeconds": 1 } ],
              "device": { "profile": "{{profilePath}}", "gpio": false },
              "mqtt": { "host": "127.0.0.1", "port": {{broker.Port}}, "healthIntervalSeconds": 1 },
              "web": { "port": {{webPort}}, "httpRedirectPort": 0, "bind": "127.0.0.1", "bindBeforeSetup": "127.0.0.1",
                       "stateDirectory": "{{dir.File("web")}}", "profilesDirectory": "{{profiles}}" } }
            """));
        using var gateway = new PeerProcess(GatewayExecutable.Path, ["run", "--config", config]);
        gateway.WaitForOutput("running", TimeSpan.FromSeconds(30));
        using var events = broker.Listen("gateway/endo-2/events");
        var code = File.ReadAllText(Path.Combine(dir.File("web"), "setup-code")).Trim();

        using var browser = WebBrowser.Start();
        var wait = new WebDriverWait(browser, TimeSpan.FromSeconds(30));
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException));
        wait.IgnoreExceptionTypes(typeof(UnknownErrorException));
        var checks = new WebBrowserChecks(browser, WebBrowser.Screenshots, output);
        var site = $"https://127.0.0.1:{webPort}";
        void Fill(string id, string text)
        {
            var e = browser.FindElement(By.Id(id));
            e.Clear();
            e.SendKeys(text);
        }
        try
        {
            browser.Navigate().GoToUrl(site + "/");
            wait.Until(b => b.Url.EndsWith("/setup", StringComparison.Ordinal));
            Fill("code", code);
            Fill("password", Password);
            Fill("confirm", Password);
            browser.FindElement(By.Id("set-password")).Click();
            wait.Until(b => b.FindElements(By.Id("setup-done")).Count > 0);
            browser.Navigate().GoToUrl(site + "/login");
            Fill("password", Password);
            browser.FindElement(By.Id("login")).Click();
            wait.Until(b => b.FindElements(By.Id("device-link")).Count > 0);

            // The preview: the grabber's picture at its size, as a JPEG from /device/video.jpg.
            browser.Navigate().GoToUrl(site + "/device");
            wait.Until(b => (long)((IJavaScriptExecutor)b).ExecuteScript(
                "var i = document.getElementById('video-preview'); return i && i.complete ? i.naturalWidth : 0;")! == 640);
            Assert.Contains("ready", browser.FindElement(By.Id("video-state")).Text, StringComparison.Ordinal);
            checks.Check("video-01-device");

            browser.FindElement(By.Id("take-still")).Click();
            wait.Until(b => b.FindElement(By.Id("message")).Text.Contains("Still taken", StringComparison.Ordinal));
            browser.FindElement(By.Id("toggle-clip")).Click();
            wait.Until(b => b.FindElement(By.Id("message")).Text.Contains("Clip started", StringComparison.Ordinal));
            gateway.WaitForOutput("started (page)", TimeSpan.FromSeconds(10));
            browser.Navigate().GoToUrl(site + "/device");
            wait.Until(b => b.FindElement(By.Id("video-state")).Text.Contains("recording", StringComparison.Ordinal));
            Assert.Equal("Stop clip", browser.FindElement(By.Id("toggle-clip")).Text);
            checks.Check("video-02-recording");
            browser.FindElement(By.Id("toggle-clip")).Click();
            wait.Until(b => b.FindElement(By.Id("message")).Text.Contains("Clip stopped", StringComparison.Ordinal));
        }
        catch
        {
            output.WriteLine(gateway.Output);
            throw;
        }

        // Each object: "acquired" when it is in the spool, "sent" when Orthanc took it.
        var kinds = events.WaitFor(4, TimeSpan.FromSeconds(60)).Select(e => JsonDocument.Parse(e.Payload).RootElement.GetProperty("kind").GetString())
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["acquired", "acquired", "sent", "sent"], kinds);
        var stored = orthanc.InstancesBySopInstanceUid();
        Assert.Equal(2, stored.Count);
        var classes = stored.Values.Select(id => orthanc.SimplifiedTags(id).GetProperty("SOPClassUID").GetString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["1.2.840.10008.5.1.4.1.1.77.1.1", "1.2.840.10008.5.1.4.1.1.77.1.1.1"], classes);
        foreach (var id in stored.Values)
        {
            var path = dir.File(id + ".dcm");
            File.WriteAllBytes(path, orthanc.File(id));
            Assert.Empty(Dciodvfy.Errors(path));
        }
    }
}
