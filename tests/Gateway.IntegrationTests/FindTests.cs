using System.Globalization;
using System.Text.Json;
using Gateway.Dicom;
using Gateway.Dicom.Network;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #16: `gateway find` against real query SCPs — dcmtk's wlmscpfs with worklist files written by pydicom (Latin-1,
/// UTF-8 and ISO 2022 Japanese names), and Orthanc at study level — and C-CANCEL after the first match.
/// </summary>
public sealed class FindTests
{
    private sealed class Worklist : IDisposable
    {
        private readonly TempDirectory _dir = new("wl");
        private readonly PeerProcess _scp;

        public Worklist()
        {
            var wlmscpfs = Peers.Require("wlmscpfs", "dcmtk");
            Peers.RequirePydicom();
            var ae = Directory.CreateDirectory(Path.Combine(_dir.Path, "WLSCP")).FullName;
            var made = ProcessRunner.Run(Peers.DebianPython, [Path.Combine(AppContext.BaseDirectory, "Scripts", "make_worklist.py"), ae]);
            Assert.True(made.ExitCode == 0, made.All);
            File.WriteAllText(Path.Combine(ae, "lockfile"), "");
            Port = FreePort.Get();
            // -csk: answer in the character set of each worklist file, as a RIS does (wlmscpfs's default sends none).
            _scp = new PeerProcess(wlmscpfs, ["-csk", "-dfp", _dir.Path, Port.ToString(CultureInfo.InvariantCulture)]);
            FreePort.WaitUntilListening(Port, TimeSpan.FromSeconds(10));
        }

        public int Port { get; }

        public void Dispose()
        {
            _scp.Dispose();
            _dir.Dispose();
        }
    }

    internal static List<JsonElement> Matches(ProcessResult find) =>
        [.. find.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    internal static string? Text(JsonElement match, string tag) =>
        match.TryGetProperty(tag, out var a) && a.TryGetProperty("Value", out var v) ? v[0].ValueKind == JsonValueKind.Object ? v[0].GetRawText() : v[0].ToString() : null;

    [Fact]
    public void The_worklist_comes_back_exactly_with_every_character_set_decoded()
    {
        using var wl = new Worklist();
        var find = GatewayExecutable.Run("find", "--to", $"127.0.0.1:{wl.Port}", "--called", "WLSCP", "--level", "worklist");
        Assert.True(find.ExitCode == 0, find.All);
        Assert.Contains("3 match(es)", find.StdErr, StringComparison.Ordinal);
        var byId = Matches(find).ToDictionary(m => Text(m, "00100020")!);
        Assert.Equal(["WL-1", "WL-2", "WL-3"], byId.Keys.Order(StringComparer.Ordinal));
        string Name(string id) => byId[id].GetProperty("00100010").GetProperty("Value")[0].GetRawText();
        Assert.Equal("""{"Alphabetic":"Müller^Hélène"}""", Name("WL-1"));
        Assert.Equal("""{"Alphabetic":"Dvořák^Zoë"}""", Name("WL-2"));
        Assert.Equal("""{"Alphabetic":"Yamada^Tarou","Ideographic":"山田^太郎","Phonetic":"やまだ^たろう"}""", Name("WL-3"));
        var step = byId["WL-3"].GetProperty("00400100").GetProperty("Value")[0];
        Assert.Equal("US", Text(step, "00080060"));
        Assert.Equal("SPS-WL-3", Text(step, "00400009"));
        Assert.Equal("ACC-3", Text(byId["WL-3"], "00080050"));
    }

    [Fact]
    public void Sequence_keys_match_inside_the_scheduled_step_and_no_match_is_a_completed_query()
    {
        using var wl = new Worklist();
        var us = GatewayExecutable.Run("find", "--to", $"127.0.0.1:{wl.Port}", "--called", "WLSCP", "--level", "worklist",
            "-k", "ScheduledProcedureStepSequence[0].Modality=US");
        Assert.True(us.ExitCode == 0, us.All);
        Assert.Equal(["WL-3"], Matches(us).Select(m => Text(m, "00100020")));
        var none = GatewayExecutable.Run("find", "--to", $"127.0.0.1:{wl.Port}", "--called", "WLSCP", "--level", "worklist", "-k", "PatientID=NOBODY");
        Assert.Equal(0, none.ExitCode);
        Assert.Empty(Matches(none));
        var bad = GatewayExecutable.Run("find", "--to", $"127.0.0.1:{wl.Port}", "--called", "WLSCP", "--level", "worklist", "-k", "NoSuchKeyword=1");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("'NoSuchKeyword' is not a DICOM keyword", bad.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopping_after_the_first_match_sends_C_CANCEL_and_the_association_stays_usable()
    {
        using var wl = new Worklist();
        var association = await DicomClient.OpenAsync(new DicomClientOptions { Host = "127.0.0.1", Port = wl.Port, CalledAE = "WLSCP" },
            [new PresentationContextProposal(1, DicomUids.ModalityWorklistInformationModelFind, [DicomUids.ExplicitVRLittleEndian])]);
        await using (association)
        {
            var query = new DicomDataset();
            query.Set(DicomTags.PatientID, DicomVR.LO, Array.Empty<string>());
            await foreach (var response in association.FindAsync(DicomUids.ModalityWorklistInformationModelFind, query))
            {
                Assert.True(response.IsPending);
                break; // the caller has what it wanted: C-CANCEL, read to the final response
            }
            // The same association answers a whole query afterwards.
            var all = new List<DicomFindResponse>();
            await foreach (var response in association.FindAsync(DicomUids.ModalityWorklistInformationModelFind, query))
                all.Add(response);
            Assert.Equal(3, all.Count(r => r.IsPending));
            Assert.True(all[^1].Status.IsSuccess, all[^1].Status.ToString());
        }
    }

    [Fact]
    public async Task A_study_level_find_against_Orthanc_returns_what_its_REST_API_lists()
    {
        using var orthanc = new OrthancPeer();
        using var dir = new TempDirectory("find-orthanc");
        for (var i = 0; i < 3; i++)
        {
            var ds = new DicomDataset();
            ds.Set(DicomTags.SOPClassUID, DicomUids.SecondaryCaptureImageStorage);
            ds.Set(DicomTags.SOPInstanceUID, $"1.2.826.0.1.3680043.10.99.80{i}");
            ds.Set(DicomTags.StudyInstanceUID, $"1.2.826.0.1.3680043.10.99.81{i}");
            ds.Set(DicomTags.SeriesInstanceUID, $"1.2.826.0.1.3680043.10.99.82{i}");
            ds.Set(DicomTags.PatientID, $"FIND-{i}");
            ds.Set(DicomTags.PatientName, $"Find^Patient{i}");
            ds.Set(DicomTags.StudyDate, "20261201");
            ds.Set(DicomTags.Modality, "OT");
            new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Save(Path.Combine(dir.Path, $"{i}.dcm"));
        }
        var send = GatewayExecutable.Run("send", dir.Path, "--to", $"127.0.0.1:{orthanc.DicomPort}", "--called", orthanc.AeTitle);
        Assert.True(send.ExitCode == 0, send.All);
        var find = await Task.Run(() => GatewayExecutable.Run("find", "--to", $"127.0.0.1:{orthanc.DicomPort}", "--called", orthanc.AeTitle, "--level", "study", "-k", "PatientID=FIND-*"));
        Assert.True(find.ExitCode == 0, find.All);
        var studies = Matches(find).Select(m => Text(m, "0020000D")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Enumerable.Range(0, 3).Select(i => $"1.2.826.0.1.3680043.10.99.81{i}"), studies);
        Assert.Equal(3, orthanc.Instances().Count);
    }
}
