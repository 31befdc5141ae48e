using Gateway.Testing;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Gateway.IntegrationTests;

/// <summary>Debian's headless Chromium through its chromium-driver, as every browser test starts it (a missing one fails the test).</summary>
internal static class WebBrowser
{
    public static ChromeDriver Start()
    {
        var chromium = Peers.Require("/usr/bin/chromium", "chromium");
        var chromedriver = Peers.Require("/usr/bin/chromedriver", "chromium-driver");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(chromedriver)!, Path.GetFileName(chromedriver));
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = chromium, AcceptInsecureCertificates = true };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--window-size=1366,900");
        options.SetLoggingPreference(LogType.Browser, OpenQA.Selenium.LogLevel.All);
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    /// <summary>Where every browser test puts its screenshots.</summary>
    public static string Screenshots => Directory.CreateDirectory(Path.Combine(Repository.Root, "artifacts", "screenshots")).FullName;
}
