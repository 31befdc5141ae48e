using Xunit;

namespace Gateway.Dicom.Tests;

public sealed class DataModelTests
{
    [Fact]
    public void Every_VR_of_the_standard_is_defined_with_its_length_field_and_padding()
    {
        var codes = DicomVR.All.Select(v => v.Code).ToHashSet();
        string[] expected = ["AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB", "OD", "OF", "OL", "OV", "OW",
            "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV"];
        Assert.Equal(expected.Order(), codes.Order());
        // PS3.5 Table 7.1-1: these VRs have a 32-bit length after two reserved bytes in Explicit VR.
        string[] longLength = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"];
        Assert.Equal(longLength.Order(), DicomVR.All.Where(v => v.HasLongLength).Select(v => v.Code).Order());
        Assert.Equal(0x00, DicomVR.UI.PaddingByte);
        Assert.Equal(0x20, DicomVR.PN.PaddingByte);
        Assert.Equal(0x00, DicomVR.OB.PaddingByte);
        Assert.Equal(64, DicomVR.LO.MaxLength);
        Assert.Equal(16, DicomVR.AE.MaxLength);
    }

    [Fact]
    public void Dictionary_finds_tags_by_tag_and_keyword_including_repeating_groups_and_private_creators()
    {
        Assert.True(DicomDictionary.Count > 4500);
        var pn = DicomDictionary.Find(new DicomTag(0x0010, 0x0010))!;
        Assert.Equal("PatientName", pn.Keyword);
        Assert.Equal(DicomVR.PN, pn.VR);
        Assert.Equal(DicomTags.PatientName, DicomDictionary.Find("PatientName")!.Tag);
        // Overlay Data in group 6002 matches the 60xx repeating entry.
        var overlay = DicomDictionary.Find(new DicomTag(0x6002, 0x3000))!;
        Assert.Equal("OverlayData", overlay.Keyword);
        Assert.True(overlay.IsRepeating);
        Assert.Equal(DicomVR.LO, DicomDictionary.Find(new DicomTag(0x0029, 0x0010))!.VR);
        Assert.Null(DicomDictionary.Find(new DicomTag(0x0029, 0x1010)));
        var retired = DicomDictionary.Find(new DicomTag(0x0008, 0x0010))!; // Recognition Code
        Assert.True(retired.IsRetired);
        var ambiguous = DicomDictionary.Find(DicomTags.SmallestImagePixelValue)!;
        Assert.True(ambiguous.IsAmbiguous);
        Assert.Equal(DicomVM.Parse("1-n"), DicomDictionary.Find(DicomTags.ImageType)!.VM with { Minimum = 1 } with { });
    }

    [Fact]
    public void Uid_registry_names_sop_classes_and_transfer_syntaxes()
    {
        Assert.Equal("Secondary Capture Image Storage", DicomUid.NameOf(DicomUids.SecondaryCaptureImageStorage));
        Assert.Equal("Transfer Syntax", DicomUid.Find("1.2.840.10008.1.2.1")!.Type);
        Assert.Equal("Explicit VR Big Endian", DicomTransferSyntax.ExplicitVRBigEndian.Name);
        Assert.True(DicomTransferSyntax.FromUid("1.2.840.10008.1.2.4.50").IsEncapsulated);
    }

    [Theory]
    [InlineData("1.2.840.10008.1.2", null)]
    [InlineData("0.1", null)]
    [InlineData("1.02.3", "leading zero")]
    [InlineData("1..2", "empty component")]
    [InlineData("1.2.", "empty component")]
    [InlineData("1.2a", "not a digit")]
    public void Uid_validation_names_the_problem(string uid, string? problem)
    {
        var result = DicomUid.Validate(uid);
        if (problem is null)
            Assert.Null(result);
        else
            Assert.Contains(problem, result);
    }

    [Fact]
    public void Generated_uids_are_valid_unique_and_fit_under_an_organisation_root()
    {
        var uids = Enumerable.Range(0, 2000).Select(_ => DicomUidGenerator.Default.NewUid()).ToList();
        Assert.All(uids, u => Assert.Null(DicomUid.Validate(u)));
        Assert.All(uids, u => Assert.StartsWith("2.25.", u));
        Assert.Equal(uids.Count, uids.Distinct().Count());
        var org = new DicomUidGenerator("1.2.826.0.1.3680043.10.999");
        var o = org.NewUid();
        Assert.StartsWith("1.2.826.0.1.3680043.10.999.", o);
        Assert.Null(DicomUid.Validate(o));
        Assert.Throws<ArgumentException>(() => new DicomUidGenerator("1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22"));
        Assert.Throws<ArgumentException>(() => new DicomUidGenerator("1.02"));
    }

    [Fact]
    public void Value_multiplicity_is_parsed_as_PS3_6_writes_it()
    {
        Assert.True(DicomVM.Parse("1-n").Allows(5));
        Assert.False(DicomVM.Parse("2").Allows(1));
        Assert.True(DicomVM.Parse("2-2n").Allows(4));
        Assert.False(DicomVM.Parse("2-2n").Allows(3));
        Assert.True(DicomVM.Parse("1-3").Allows(3));
        Assert.False(DicomVM.Parse("1-3").Allows(4));
    }

    [Fact]
    public void Data_set_keeps_elements_ordered_by_tag()
    {
        var ds = new DicomDataset();
        ds.Set(DicomTags.PatientID, "2");
        ds.Set(DicomTags.Modality, "OT");
        ds.Set(DicomTags.PatientName, "A^B");
        ds.Set(DicomTags.PatientID, "3");
        Assert.Equal([DicomTags.Modality, DicomTags.PatientName, DicomTags.PatientID], ds.Select(i => i.Tag));
        Assert.Equal("3", ds.GetString(DicomTags.PatientID));
        Assert.True(ds.Remove(DicomTags.Modality));
        Assert.Equal(2, ds.Count);
    }

    [Fact]
    public void Private_tags_are_reserved_in_a_block_of_their_creator()
    {
        var ds = new DicomDataset();
        var t1 = ds.PrivateTag(0x0029, "ACME 1.0", 0x01);
        var t2 = ds.PrivateTag(0x0029, "OTHER", 0x01);
        var t3 = ds.PrivateTag(0x0029, "ACME 1.0", 0x02);
        Assert.Equal(new DicomTag(0x0029, 0x1001), t1);
        Assert.Equal(new DicomTag(0x0029, 0x1101), t2);
        Assert.Equal(new DicomTag(0x0029, 0x1002), t3);
        ds.Set(t1, DicomVR.LO, "value");
        Assert.Equal("ACME 1.0", ds.GetPrivateCreator(t1));
        Assert.Equal("OTHER", ds.GetPrivateCreator(t2));
    }
}
