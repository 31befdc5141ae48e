using Gateway.Acquisition.Worklist;
using Gateway.Dicom;
using Gateway.Testing;
using Xunit;

namespace Gateway.Acquisition.Tests;

/// <summary>
/// Issue #17: the kept worklist file — written 0600 and read back exactly (the RIS's bytes, its character set, the
/// same problems), and read as untrusted input: a damaged or oversized file is a problem named, never an exception.
/// </summary>
public sealed class WorklistCacheTests
{
    private static DicomDataset Match(string id, bool withStudy = true)
    {
        var ds = new DicomDataset();
        ds.Set(DicomTags.SpecificCharacterSet, "ISO_IR 192");
        ds.Set(DicomTags.PatientName, "Dvořák^Zoë");
        ds.Set(DicomTags.PatientID, id);
        ds.Set(DicomTags.RequestedProcedureID, "RP-" + id);
        if (withStudy)
            ds.Set(DicomTags.StudyInstanceUID, "1.2.3.4");
        var step = new DicomDataset();
        step.Set(DicomTags.ScheduledProcedureStepID, "SPS-" + id);
        step.Set(DicomTags.ScheduledProcedureStepStartDate, new DateOnly(2026, 12, 2));
        step.Set(DicomTags.ScheduledProcedureStepStartTime, "0930");
        step.Set(DicomTags.Modality, "DX");
        ds.SetSequence(DicomTags.ScheduledProcedureStepSequence, step);
        return ds;
    }

    [Fact]
    public void A_list_is_read_back_as_it_was_written_and_the_file_is_0600()
    {
        using var dir = new TempDirectory("wl-cache");
        var cache = new WorklistCache(dir.File(WorklistCache.FileName));
        var fetched = new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);
        File.WriteAllText(dir.File("." + WorklistCache.FileName + ".0badc0de.tmp"), "left by a crash mid-write");
        cache.Save(new WorklistSnapshot([WorklistItemReader.Read(Match("A")), WorklistItemReader.Read(Match("B", withStudy: false))], fetched));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cache.Path));
        Assert.Equal([WorklistCache.FileName], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        var back = cache.TryLoad(out var problem);
        Assert.NotNull(back);
        Assert.Equal(fetched, back.FetchedAt);
        Assert.False(back.IsStale);
        Assert.Equal(["A", "B"], back.Items.Select(i => i.PatientId));
        Assert.Equal("Dvořák^Zoë", back.Items[0].PatientName);
        Assert.Equal(new TimeOnly(9, 30), back.Items[0].StepStartTime);
        Assert.Empty(back.Items[0].Problems);
        Assert.Equal(["StudyInstanceUID: missing (required, PS3.4 Table K.6-1 type 1)"], back.Items[1].Problems);
        Assert.Equal(Gateway.Dicom.DicomJson.Serialize(Match("A")), Gateway.Dicom.DicomJson.Serialize(back.Items[0].Identifier));
    }

    [Theory]
    [InlineData("", "not a worklist file")]
    [InlineData("{\"version\":2,\"fetchedAt\":\"2026-12-02T08:00:00Z\",\"items\":[]}", "not a worklist file of version 1")]
    [InlineData("{\"version\":1,\"items\":[]}", "fetchedAt is missing")]
    [InlineData("{\"version\":1,\"fetchedAt\":\"2026-12-02T08:00:00Z\",\"items\":[\"!!\"]}", "items[0] is not base64")]
    [InlineData("{\"version\":1,\"fetchedAt\":\"2026-12-02T08:00:00Z\",\"items\":[\"AAAA\"]}", "items[0] is not a DICOM data set")]
    [InlineData("[[[[[[[[[[]]]]]]]]]]", "not a worklist file")]
    public void A_damaged_file_is_a_problem_named(string text, string expected)
    {
        using var dir = new TempDirectory("wl-cache");
        var cache = new WorklistCache(dir.File(WorklistCache.FileName));
        File.WriteAllText(cache.Path, text);
        Assert.Null(cache.TryLoad(out var problem));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_oversized_file_is_not_read()
    {
        using var dir = new TempDirectory("wl-cache");
        var cache = new WorklistCache(dir.File(WorklistCache.FileName));
        using (var f = File.Create(cache.Path))
            f.SetLength(WorklistCache.MaxBytes + 1);
        Assert.Null(cache.TryLoad(out var problem));
        Assert.Contains("more than the", problem, StringComparison.Ordinal);
        Assert.Null(new WorklistCache(dir.File("none.json")).TryLoad(out problem));
        Assert.Equal(WorklistCache.NoneYet, problem);
    }
}
