using Xunit;

namespace Gateway.Dicom.Tests;

/// <summary>Typed access and the strict rules for values we create (issue #2: a clear exception when a value does not fit its VR).</summary>
public sealed class ValueTests
{
    [Fact]
    public void A_65_character_LO_is_refused_naming_the_element_and_the_limit()
    {
        var ds = new DicomDataset();
        var e = Assert.Throws<DicomValueException>(() => ds.Set(DicomTags.StudyDescription, new string('x', 65)));
        Assert.Contains("StudyDescription (0008,1030) LO", e.Message);
        Assert.Contains("65 characters", e.Message);
        Assert.Contains("at most 64", e.Message);
        ds.Set(DicomTags.StudyDescription, new string('é', 64)); // 64 characters is fine even if it takes more bytes
    }

    [Theory]
    [InlineData("2026-13-40")]
    [InlineData("20261340")]
    [InlineData("20260230")]
    [InlineData("2026011")]
    public void An_impossible_date_is_refused(string date)
    {
        var e = Assert.Throws<DicomValueException>(() => new DicomDataset().Set(DicomTags.StudyDate, date));
        Assert.Contains("StudyDate (0008,0020) DA", e.Message);
        Assert.Contains("not a valid date", e.Message);
    }

    [Fact]
    public void A_uid_with_a_leading_zero_component_is_refused()
    {
        var e = Assert.Throws<DicomValueException>(() => new DicomDataset().Set(DicomTags.StudyInstanceUID, "1.2.03.4"));
        Assert.Contains("leading zero", e.Message);
    }

    [Theory]
    [InlineData("AE", "0123456789ABCDEFG", "at most 16")]
    [InlineData("CS", "lower", "upper-case")]
    [InlineData("IS", "1A", "not an integer")]
    [InlineData("IS", "3000000000", "not an integer")]
    [InlineData("DS", "1.5.2", "not a decimal")]
    [InlineData("TM", "250000", "not a valid time")]
    [InlineData("AS", "45Y", "not an age")]
    [InlineData("DT", "20261301", "not a valid date-time")]
    [InlineData("LO", "a\\b", "separates values")]
    public void Text_values_are_checked_against_their_VR(string vr, string value, string problem) =>
        Assert.Contains(problem, DicomValueRules.Check(DicomVR.Parse(vr), value));

    [Fact]
    public void Value_multiplicity_is_enforced_when_setting()
    {
        var e = Assert.Throws<DicomValueException>(() => new DicomDataset().Set(DicomTags.PixelSpacing, 0.5));
        Assert.Contains("value multiplicity is 2", e.Message);
        new DicomDataset().Set(DicomTags.PixelSpacing, 0.5, 0.5);
    }

    [Fact]
    public void Typed_values_round_trip_through_the_data_set()
    {
        var ds = new DicomDataset();
        ds.Set(DicomTags.StudyDate, new DateOnly(2026, 11, 23));
        ds.Set(DicomTags.StudyTime, new TimeOnly(13, 45, 30, 250));
        ds.Set(DicomTags.AcquisitionDateTime, new DateTimeOffset(2026, 11, 23, 13, 45, 30, TimeSpan.FromHours(1)));
        ds.Set(DicomTags.Rows, (ushort)512);
        ds.Set(DicomTags.SeriesNumber, 7);
        ds.Set(DicomTags.PixelSpacing, 0.1, 0.2);
        ds.Set(DicomTags.KVP, 70.5);
        ds.Set(DicomTags.ImageType, "ORIGINAL", "PRIMARY");
        ds.Set(DicomTags.PatientName, new DicomPersonName("Yamada^Tarou", "山田^太郎", "やまだ^たろう"));
        ds.Set(DicomTags.FrameIncrementPointer, DicomTags.FrameTime);
        ds.Set(new DicomTag(0x0018, 0x1050), 0.25); // Spatial Resolution DS

        Assert.Equal(new DateOnly(2026, 11, 23), ds.GetDate(DicomTags.StudyDate));
        Assert.Equal(new TimeOnly(13, 45, 30, 250), ds.GetTime(DicomTags.StudyTime));
        Assert.Equal(TimeSpan.FromHours(1), ds.GetDateTime(DicomTags.AcquisitionDateTime).Offset);
        Assert.Equal(512, ds.GetInt(DicomTags.Rows));
        Assert.Equal(7, ds.GetInt(DicomTags.SeriesNumber));
        Assert.Equal([0.1, 0.2], ds.GetDoubles(DicomTags.PixelSpacing));
        Assert.Equal(70.5, ds.GetDouble(DicomTags.KVP));
        Assert.Equal(["ORIGINAL", "PRIMARY"], ds.GetStrings(DicomTags.ImageType));
        var name = ds.GetPersonName(DicomTags.PatientName);
        Assert.Equal("Yamada", name.FamilyName);
        Assert.Equal("山田^太郎", name.Ideographic);
        Assert.Equal([DicomTags.FrameTime], ds.GetTags(DicomTags.FrameIncrementPointer));
    }

    [Fact]
    public void Numbers_out_of_range_for_binary_VRs_are_refused()
    {
        Assert.Throws<DicomValueException>(() => new DicomDataset().Set(DicomTags.Rows, 70000));
        Assert.Throws<DicomValueException>(() => new DicomDataset().Set(DicomTags.Rows, -1));
    }

    [Fact]
    public void Text_that_the_character_set_cannot_hold_is_refused_when_written()
    {
        var ds = new DicomDataset();
        ds.Set(DicomTags.PatientName, "Dupré^Hélène");
        ds.Set(DicomTags.SOPClassUID, DicomUids.SecondaryCaptureImageStorage);
        ds.Set(DicomTags.SOPInstanceUID, "1.2.3");
        var e = Assert.Throws<DicomValueException>(() => new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).WriteTo(new MemoryStream()));
        Assert.Contains("default character repertoire", e.Message);
        ds.Set(DicomTags.SpecificCharacterSet, DicomCharacterSet.ChooseFor(["Dupré^Hélène"]));
        Assert.Equal("ISO_IR 100", ds.GetString(DicomTags.SpecificCharacterSet));
        new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).WriteTo(new MemoryStream());
    }

    [Theory]
    [InlineData("Smith^John", "")]
    [InlineData("Dupré^Hélène", "ISO_IR 100")]
    [InlineData("Müller^Jürgen", "ISO_IR 100")]
    [InlineData("Ωμέγα", "ISO_IR 192")]
    [InlineData("山田^太郎", "ISO_IR 192")]
    public void The_simplest_character_set_is_chosen(string text, string expected) =>
        Assert.Equal(expected, DicomCharacterSet.ChooseFor([text]));
}
