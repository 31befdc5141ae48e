using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Gateway.Web.Tests;

/// <summary>
/// Issue #14, forms: messages in a technician's words beside their fields, the typed value kept, one bad field never
/// hiding another's message, an oversized upload answered with a message, destructive actions confirmed, and the
/// markup a phone needs (every label bound to a field, no inline style, numeric inputs).
/// </summary>
public sealed partial class FieldMessageTests
{
    public static TheoryData<string> Pages => new() { "/", "/worklist", "/device", "/destinations", "/exam", "/spool", "/mqtt", "/system" };

    [Fact]
    public async Task A_bad_birth_date_and_a_bad_sex_each_get_their_own_message_and_keep_what_was_typed()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var page = WebUtility.HtmlDecode(await client.SubmitAsync("/exam", new()
        {
            ["PatientName"] = "DOE^Jane", ["PatientBirthDate"] = "1999-13-45", ["PatientSex"] = "X", ["AccessionNumber"] = "ACC-TOO-LONG-FOR-SH-1",
        }));
        Assert.Equal("Birth date: use a date like 1970-01-01.", FieldText(page, "error-PatientBirthDate"));
        Assert.Equal("Sex: choose M, F or O.", FieldText(page, "error-PatientSex"));
        Assert.Equal("Accession number: at most 16 characters, no backslash.", FieldText(page, "error-AccessionNumber"));
        Assert.Equal("", FieldText(page, "error-PatientName"));
        Assert.Contains("value=\"1999-13-45\"", page, StringComparison.Ordinal);
        Assert.Contains("value=\"DOE^Jane\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("(0010,0030)", page, StringComparison.Ordinal);
        Assert.DoesNotContain("exam", web.Control.Calls);

        // The date field's yyyy-mm-dd is stored as DA, and shown back as a date.
        page = await client.SubmitAsync("/exam", new() { ["PatientName"] = "DOE^Jane", ["PatientBirthDate"] = "1970-01-01", ["PatientSex"] = "F" });
        Assert.Contains("The next acquisitions will carry this patient", page, StringComparison.Ordinal);
        Assert.Equal("19700101", web.Control.ExamSet.GetString(Gateway.Dicom.DicomTags.PatientBirthDate));
        Assert.Contains("value=\"1970-01-01\"", await client.GetStringAsync("/exam"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_port_does_not_hide_a_bad_AE_title_and_both_typed_values_stay()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var page = WebUtility.HtmlDecode(await client.SubmitAsync("/destinations", new()
        {
            ["Form.Name"] = "archive", ["Form.AeTitle"] = "ABCDEFGHIJKLMNOPQ", ["Form.Host"] = "", ["Form.Port"] = "eleven", ["Form.CallingAeTitle"] = "GW",
        }, "Save"));
        Assert.Equal("Use a port number from 1 to 65535 (you typed 'eleven').", FieldText(page, "error-port"));
        Assert.StartsWith("'ABCDEFGHIJKLMNOPQ' is not an AE title", FieldText(page, "error-aeTitle"), StringComparison.Ordinal);
        Assert.Equal("Fill this in.", FieldText(page, "error-host"));
        Assert.Contains("value=\"eleven\"", page, StringComparison.Ordinal);
        Assert.Contains("value=\"ABCDEFGHIJKLMNOPQ\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("save", web.Control.Calls);
    }

    [Fact]
    public async Task The_device_form_judges_every_field_and_keeps_them()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var page = WebUtility.HtmlDecode(await client.SubmitAsync("/device", new()
        {
            ["profile"] = "endoscope-footswitch", ["baud"] = "fast", ["gpioChip"] = "one", ["gpioLines"] = "footswitch:17",
        }, "Save"));
        Assert.Contains("Baud: use a number such as 9600 or 115200 (you typed 'fast')", FieldText(page, "error-baud"), StringComparison.Ordinal);
        Assert.Contains("GPIO chip: use a number", FieldText(page, "error-gpioChip"), StringComparison.Ordinal);
        Assert.Contains("'footswitch:17' is not name=line", FieldText(page, "error-gpioLines"), StringComparison.Ordinal);
        Assert.Contains("value=\"fast\"", page, StringComparison.Ordinal);
        Assert.Contains("value=\"footswitch:17\"", page, StringComparison.Ordinal);
        Assert.Null(web.Control.Config.Device);
    }

    [Fact]
    public async Task The_MQTT_form_judges_every_field_and_keeps_them()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var page = WebUtility.HtmlDecode(await client.SubmitAsync("/mqtt", new() { ["host"] = "broker.local", ["port"] = "18x3", ["password"] = "pw", ["tls"] = "true" }, "Save"));
        Assert.Contains("you typed '18x3'", FieldText(page, "error-port"), StringComparison.Ordinal);
        Assert.Equal("A password needs a user.", FieldText(page, "error-username"));
        Assert.Contains("CA certificate", FieldText(page, "error-ca"), StringComparison.Ordinal);
        Assert.Contains("value=\"broker.local\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"pw\"", page, StringComparison.Ordinal);
        Assert.Null(web.Control.Config.Mqtt);
    }

    [Fact]
    public async Task An_oversized_upload_gets_a_message_beside_its_field_not_a_bare_status()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var before = await File.ReadAllBytesAsync(web.ConfigPath);
        var big = Encoding.UTF8.GetBytes("{\"box\":{\"id\":\"x\"}," + new string(' ', 3 << 20) + "}");
        using var r = await client.PostMultipartAsync("/system", "Upload", "config", "gateway.json", big);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var page = WebUtility.HtmlDecode(await r.Content.ReadAsStringAsync());
        Assert.Contains("larger than", FieldText(page, "error-config"), StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(web.ConfigPath));
    }

    [Fact]
    public async Task Removing_a_destination_asks_first()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var page = await client.SubmitAsync("/destinations", new() { ["name"] = "pacs" }, "Remove");
        Assert.Contains("Remove pacs?", page, StringComparison.Ordinal);
        Assert.Single(web.Control.Config.Destinations);
        page = await client.SubmitAsync("/destinations", new() { ["name"] = "pacs", ["confirm"] = "yes" }, "Remove");
        Assert.Contains("Removed pacs.", page, StringComparison.Ordinal);
        Assert.Empty(web.Control.Config.Destinations);
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Every_label_is_bound_to_a_field_and_no_element_has_an_inline_style(string path)
    {
        await using var web = await new WebFixture().StartAsync();
        // The worklist's search and the status page's cancel form are there (issue #17).
        web.Control.List = WorklistSamples.Fresh();
        web.Control.SelectStep("sps-1001");
        web.Control.Acquire(1, DateTimeOffset.Now);
        using var client = await web.LoggedInAsync();
        var page = await client.GetStringAsync(path);
        Assert.DoesNotContain(" style=", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<style", page, StringComparison.Ordinal);
        var ids = IdPattern().Matches(page).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var labels = LabelPattern().Matches(page).ToList();
        Assert.True(labels.Count > 0 || path == "/", $"{path} has no labels");
        foreach (Match label in labels)
        {
            var target = ForPattern().Match(label.Value);
            Assert.True(target.Success, $"{path}: {label.Value} has no for=");
            Assert.Contains(target.Groups[1].Value, ids);
        }
        foreach (Match input in PortInputPattern().Matches(page))
            Assert.Contains("inputmode=\"numeric\"", input.Value, StringComparison.Ordinal);
    }

    private static string FieldText(string page, string id)
    {
        var m = Regex.Match(page, $"<span class=\"field-error\" id=\"{Regex.Escape(id)}\">(.*?)</span>", RegexOptions.Singleline);
        Assert.True(m.Success, $"no {id} on the page");
        return m.Groups[1].Value.Trim();
    }

    [GeneratedRegex("\\sid=\"([^\"]+)\"")]
    private static partial Regex IdPattern();

    [GeneratedRegex("<label[^>]*>")]
    private static partial Regex LabelPattern();

    [GeneratedRegex("\\sfor=\"([^\"]+)\"")]
    private static partial Regex ForPattern();

    [GeneratedRegex("<input[^>]*(?:id=\"(?:dest-port|port|baud|gpio-chip)\")[^>]*>")]
    private static partial Regex PortInputPattern();
}
