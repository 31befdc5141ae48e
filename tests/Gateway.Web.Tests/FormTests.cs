using System.Net;
using System.Text;
using Xunit;

namespace Gateway.Web.Tests;

/// <summary>Issue #8: invalid input gets field-level messages from the configuration's own validation, and changes nothing.</summary>
public sealed class FormTests
{
    [Theory]
    [InlineData("70000", "PACS2", "error-port", "Use a port number from 1 to 65535 (you typed '70000')")]
    [InlineData("104", "", "error-aeTitle", "is not an AE title")]
    [InlineData("104", "ABCDEFGHIJKLMNOPQ", "error-aeTitle", "'ABCDEFGHIJKLMNOPQ' is not an AE title (1 to 16 characters")]
    public async Task An_invalid_destination_gets_a_message_beside_its_field_and_the_file_is_unchanged(string port, string ae, string fieldId, string message)
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var before = await File.ReadAllBytesAsync(web.ConfigPath);
        var page = await client.SubmitAsync("/destinations", new()
        {
            ["Form.Name"] = "archive", ["Form.AeTitle"] = ae, ["Form.Host"] = "10.1.2.3", ["Form.Port"] = port, ["Form.CallingAeTitle"] = "GATEWAY",
        }, "Save");
        var at = page.IndexOf($"id=\"{fieldId}\">", StringComparison.Ordinal);
        Assert.True(at > 0, page);
        Assert.Contains(message, WebUtility.HtmlDecode(page[at..(at + 200)]), StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(web.ConfigPath));
        Assert.DoesNotContain("save", web.Control.Calls);
    }

    [Fact]
    public async Task A_valid_destination_is_written_atomically_and_listed()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var page = await client.SubmitAsync("/destinations", new()
        {
            ["Form.Name"] = "archive", ["Form.AeTitle"] = "ARCHIVE", ["Form.Host"] = "10.1.2.3", ["Form.Port"] = "11112", ["Form.CallingAeTitle"] = "GW",
        }, "Save");
        Assert.Contains("Saved archive", page, StringComparison.Ordinal);
        var written = Gateway.Configuration.ConfigValidator.Load(web.ConfigPath);
        Assert.Equal(["pacs", "archive"], written.Destinations.Select(d => d.Name));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(web.ConfigPath)!, ".gateway.json.*"));
    }

    [Fact]
    public async Task A_configuration_upload_with_errors_is_refused_with_each_problem_and_the_old_one_stays()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var before = await File.ReadAllBytesAsync(web.ConfigPath);
        var bad = """{ "box": { "id": "bad box" }, "spool": { "path": "/x" }, "destinations": [ { "name": "p", "aeTitle": "", "host": "h", "port": 70000 } ] }""";
        using var r = await client.PostMultipartAsync("/system", "Upload", "config", "gateway.json", Encoding.UTF8.GetBytes(bad));
        var page = await r.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Contains("Not restored: 3 problem(s)", page, StringComparison.Ordinal);
        Assert.Contains("box.id: &#x27;bad box&#x27; must be", page, StringComparison.Ordinal);
        Assert.Contains("destinations[0].port: 70000 is not a port", page, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(web.ConfigPath));

        using var notJson = await client.PostMultipartAsync("/system", "Upload", "config", "gateway.json", Encoding.UTF8.GetBytes("{ nope"));
        Assert.Contains("Not restored", await notJson.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(web.ConfigPath));
    }

    [Fact]
    public async Task The_next_exam_is_checked_against_its_VRs_and_never_logged()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var page = await client.SubmitAsync("/exam", new() { ["PatientName"] = "Dupré^Hélène", ["PatientID"] = "P-778", ["PatientBirthDate"] = "1999-13-45" });
        Assert.Contains("PatientBirthDate", page, StringComparison.Ordinal);
        Assert.DoesNotContain("exam", web.Control.Calls);
        page = await client.SubmitAsync("/exam", new() { ["PatientName"] = "Dupré^Hélène", ["PatientID"] = "P-778", ["AccessionNumber"] = "ACC1" });
        Assert.Contains("The next acquisitions will carry this patient", page, StringComparison.Ordinal);
        Assert.Equal("P-778", web.Control.ExamSet.GetString(Gateway.Dicom.DicomTags.PatientID));
        Assert.DoesNotContain("P-778", web.Log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Dupré", web.Log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("P-778", await File.ReadAllTextAsync(web.ConfigPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_device_value_that_is_not_offered_is_refused_and_no_path_is_taken_from_the_form()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var page = await client.SubmitAsync("/device", new() { ["profile"] = "../../etc/passwd" }, "Save");
        Assert.Contains("is not one of the profiles", page, StringComparison.Ordinal);
        page = await client.SubmitAsync("/device", new() { ["profile"] = "fpd-1417-usb", ["port"] = "/etc/shadow" }, "Save");
        Assert.Contains("is not a port of this box", page, StringComparison.Ordinal);
        Assert.Null(web.Control.Config.Device);
    }

    [Fact]
    public async Task A_hospital_certificate_is_taken_only_with_its_own_key_and_stored_privately()
    {
        await using var web = await new WebFixture().StartAsync();
        using var certs = new Gateway.Testing.TestCertificates();
        using var client = await web.LoggedInAsync();
        using var wrong = await client.PostFilesAsync("/system", "Certificate",
            ("certificate", "server.pem", await File.ReadAllBytesAsync(certs.ServerCert)), ("key", "client.key", await File.ReadAllBytesAsync(certs.ClientKey)));
        Assert.Contains("Certificate not used: certificate and key do not make a pair", WebUtility.HtmlDecode(await wrong.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Null(web.Control.Config.Web.CertificateFile);

        using var right = await client.PostFilesAsync("/system", "Certificate",
            ("certificate", "server.pem", await File.ReadAllBytesAsync(certs.ServerCert)), ("key", "server.key", await File.ReadAllBytesAsync(certs.ServerKey)));
        Assert.Contains("Certificate saved", await right.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var saved = web.Control.Config.Web.KeyFile!;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(saved));
        Assert.Equal(Path.Combine(web.Control.Config.Web.StateDirectory, "https-hospital.key"), saved); // our name, not the upload's
    }

    [Fact]
    public async Task The_device_page_takes_this_box_s_wiring_and_baud_and_names_what_does_not_fit()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var page = WebUtility.HtmlDecode(await client.SubmitAsync("/device", new() { ["profile"] = "endoscope-footswitch", ["gpio"] = "true", ["gpioLines"] = "pedal=3" }, "Save"));
        Assert.Contains("device.gpioLines.pedal: the profile has no input or output of that name (inputs: footswitch; outputs: ready, busy, error)", page, StringComparison.Ordinal);
        page = WebUtility.HtmlDecode(await client.SubmitAsync("/device", new() { ["profile"] = "endoscope-footswitch", ["gpio"] = "true", ["gpioLines"] = "footswitch=22" }, "Save"));
        Assert.Contains("gpio.outputs.ready.line: line 22 is used twice", page, StringComparison.Ordinal);
        Assert.Null(web.Control.Config.Device);

        page = await client.SubmitAsync("/device", new() { ["profile"] = "endoscope-footswitch", ["gpio"] = "true", ["baud"] = "115200", ["gpioChip"] = "1", ["gpioLines"] = "footswitch=5, error=26" }, "Save");
        Assert.Contains("Acquiring from endoscope-footswitch", page, StringComparison.Ordinal);
        var profile = Gateway.Configuration.ConfigValidator.LoadProfile(Gateway.Configuration.ConfigValidator.Load(web.ConfigPath).Device!);
        Assert.Equal(115200, profile.Serial!.Baud);
        Assert.Equal(1, profile.Gpio!.Chip);
        Assert.Equal(5, profile.Gpio.Inputs[0].Line);
        Assert.Equal(26, profile.Gpio.Outputs.Error!.Line);
        Assert.Equal(22, profile.Gpio.Outputs.Ready!.Line);
    }

    [Fact]
    public async Task A_TLS_destination_takes_the_PACS_CA_and_a_client_certificate_pair_under_names_the_gateway_makes()
    {
        await using var web = await new WebFixture().StartAsync();
        using var certs = new Gateway.Testing.TestCertificates();
        using var client = await web.LoggedInAsync();
        Dictionary<string, string> form = new()
        {
            ["Form.Name"] = "secure", ["Form.AeTitle"] = "SECURE", ["Form.Host"] = "pacs.example", ["Form.Port"] = "2762", ["Form.CallingAeTitle"] = "GW", ["Form.Tls"] = "true",
        };
        using var r = await client.PostFilesAsync("/destinations", "Save", form,
            ("ca", "../../ca.pem", await File.ReadAllBytesAsync(certs.CaFile)),
            ("clientCertificate", "c.pem", await File.ReadAllBytesAsync(certs.ClientCert)), ("clientKey", "c.key", await File.ReadAllBytesAsync(certs.ClientKey)));
        Assert.Contains("Saved secure", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var tls = web.Control.Config.Destinations.Single(d => d.Name == "secure").Tls!;
        var tlsDir = Path.Combine(web.Control.Config.Web.StateDirectory, "tls");
        Assert.All(new[] { tls.CaFile!, tls.CertificateFile!, tls.KeyFile! }, f => Assert.Equal(tlsDir, Path.GetDirectoryName(f)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tls.KeyFile!));

        using var bad = await client.PostFilesAsync("/destinations", "Save", new Dictionary<string, string>(form) { ["Form.Name"] = "bad" },
            ("ca", "ca.pem", "not a certificate"u8.ToArray()));
        Assert.Contains("the file holds no certificate", WebUtility.HtmlDecode(await bad.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.DoesNotContain(web.Control.Config.Destinations, d => d.Name == "bad");
    }
}

/// <summary>The System page's log is paged (50 a page): "Older" shows the next page (the parameter is not Razor's reserved "page").</summary>
public sealed partial class LogPagingTests
{
    [Microsoft.Extensions.Logging.LoggerMessage(9999, Microsoft.Extensions.Logging.LogLevel.Warning, "problem number {N}")]
    private static partial void Problem(Microsoft.Extensions.Logging.ILogger logger, int n);

    [Fact]
    public async Task Older_shows_the_second_page_of_the_log()
    {
        await using var web = await new WebFixture().StartAsync();
        var log = web.Loggers.CreateLogger("gateway.test");
        for (var i = 0; i < 120; i++)
            Problem(log, i);
        using var client = await web.LoggedInAsync();
        var first = await client.GetStringAsync("/system?log=all");
        Assert.Contains("Page 1 of 3", first, StringComparison.Ordinal);
        var older = System.Text.RegularExpressions.Regex.Match(first, "id=\"log-older\" href=\"([^\"]+)\"").Groups[1].Value;
        var second = await client.GetStringAsync(WebUtility.HtmlDecode(older));
        Assert.Contains("Page 2 of 3", second, StringComparison.Ordinal);
        Assert.Contains("problem number 69", second, StringComparison.Ordinal);
        Assert.DoesNotContain("problem number 119", second, StringComparison.Ordinal);
    }
}
