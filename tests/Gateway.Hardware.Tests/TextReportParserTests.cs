using System.Text;
using Gateway.Hardware.Text;
using Xunit;

namespace Gateway.Hardware.Tests;

public sealed class TextReportParserTests
{

    private static List<TextEvent> Parse(params byte[][] chunks)
    {
        var parser = new TextReportParser(Profiles.Load("legacy-xray-rs232").Text!);
        var events = new List<TextEvent>();
        foreach (var c in chunks)
            parser.Feed(c, events);
        return events;
    }

    [Fact]
    public void A_report_becomes_DICOM_values_with_units_converted_whatever_the_line_endings_and_chunking()
    {
        var report = Encoding.Latin1.GetBytes("READY\r\nPID=123456\r\nNAME=MÜLLER^JÜRGEN\nACC=A1\rKV 70\r\nMAS 12.5\r\nEND\r\n");
        var whole = Parse(report);
        Assert.Equal(
            [
                new TextValue(new("PatientID", "123456")), new TextValue(new("PatientName", "MÜLLER^JÜRGEN")), new TextValue(new("AccessionNumber", "A1")),
                new TextValue(new("KVP", "70")), new TextValue(new("ExposureInuAs", "12500")), new TextRecordEnd(),
            ], whole);
        for (var split = 1; split < report.Length; split++)
            Assert.Equal(whole, Parse(report[..split], report[split..]));
    }

    [Fact]
    public void Overlong_lines_and_non_numbers_are_reported_not_guessed()
    {
        var events = Parse(Encoding.ASCII.GetBytes(new string('x', 5000) + "\r\nKV seventy\r\nKV 80.0\r\n"));
        Assert.Equal(new TextLineIgnored("a line longer than 1024 bytes"), events[0]);
        Assert.Equal(new TextValue(new("KVP", "80")), events[1]); // "KV seventy" does not match the pattern: chatter
        Assert.Equal(2, events.Count);
    }
}
