using System.Text.Json;
using Gateway.Dicom;
using Gateway.Dicom.Network;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #16: `gateway find --level worklist` against Orthanc's worklist plugin (libModalityWorklists.so from the
/// Debian package), serving the files make_worklist.py writes with pydicom — the same three patients as the wlmscpfs
/// tests in <see cref="FindTests"/> — and C-CANCEL seen from Orthanc's side.
/// </summary>
public sealed class OrthancWorklistFindTests
{
    private sealed class OrthancWorklist : IDisposable
    {
        private readonly TempDirectory _dir = new("orthanc-wl");

        public OrthancWorklist(string defaultEncoding = "Latin1", int many = 0)
        {
            Peers.RequirePydicom();
            string[] args = many > 0 ? ["--many", many.ToString(System.Globalization.CultureInfo.InvariantCulture)] : [];
            var made = ProcessRunner.Run(Peers.DebianPython, [Path.Combine(AppContext.BaseDirectory, "Scripts", "make_worklist.py"), _dir.Path, .. args]);
            Assert.True(made.ExitCode == 0, made.All);
            Orthanc = new OrthancPeer(worklists: _dir.Path, defaultEncoding: defaultEncoding);
        }

        public OrthancPeer Orthanc { get; }

        public ProcessResult Find(params string[] keys) =>
            GatewayExecutable.Run(["find", "--to", $"127.0.0.1:{Orthanc.DicomPort}", "--called", Orthanc.AeTitle, "--level", "worklist", .. keys.SelectMany(k => new[] { "-k", k })]);

        public void Dispose()
        {
            Orthanc.Dispose();
            _dir.Dispose();
        }
    }

    private static string Name(JsonElement match) => match.GetProperty("00100010").GetProperty("Value")[0].GetRawText();

    /// <summary>
    /// Orthanc reads each .wl file in its own character set and answers in its DefaultEncoding, so each encoding is
    /// one character set on the wire. Utf8 and JapaneseKanji hold all three names. Latin1 (Orthanc's default) cannot:
    /// Orthanc drops what Latin-1 has no code for — 'ř' of Dvořák, and the kanji and kana groups of Yamada (dcmtk's
    /// findscu + dcmdump see the same bytes: "Dvo\xE1k^Zo\xEB", "Yamada^Tarou=^=^") — and we read what it sent.
    /// JapaneseKanji sends a single-valued "ISO 2022 IR 87" and writes the accented Latin letters in JIS X 0212
    /// (ESC $ ( D), a set it does not declare.
    /// </summary>
    [Theory]
    [InlineData("Utf8", "ISO_IR 192", """{"Alphabetic":"Dvořák^Zoë"}""", """{"Alphabetic":"Yamada^Tarou","Ideographic":"山田^太郎","Phonetic":"やまだ^たろう"}""")]
    [InlineData("JapaneseKanji", "ISO 2022 IR 87", """{"Alphabetic":"Dvořák^Zoë"}""", """{"Alphabetic":"Yamada^Tarou","Ideographic":"山田^太郎","Phonetic":"やまだ^たろう"}""")]
    [InlineData("Latin1", "ISO_IR 100", """{"Alphabetic":"Dvoák^Zoë"}""", """{"Alphabetic":"Yamada^Tarou","Ideographic":"^","Phonetic":"^"}""")]
    public void The_worklist_comes_back_exactly_with_names_decoded_as_Orthanc_sent_them(string defaultEncoding, string characterSet, string dvorak, string yamada)
    {
        using var wl = new OrthancWorklist(defaultEncoding);
        var find = wl.Find();
        Assert.True(find.ExitCode == 0, find.All);
        Assert.Contains("3 match(es)", find.StdErr, StringComparison.Ordinal);
        var byId = FindTests.Matches(find).ToDictionary(m => FindTests.Text(m, "00100020")!);
        Assert.Equal(["WL-1", "WL-2", "WL-3"], byId.Keys.Order(StringComparer.Ordinal));
        Assert.All(byId.Values, m => Assert.Equal(characterSet, FindTests.Text(m, "00080005")));
        Assert.Equal("""{"Alphabetic":"Müller^Hélène"}""", Name(byId["WL-1"]));
        Assert.Equal(dvorak, Name(byId["WL-2"]));
        Assert.Equal(yamada, Name(byId["WL-3"]));
        foreach (var (id, modality, date) in new[] { ("WL-1", "DX", "20261201"), ("WL-2", "DX", "20261201"), ("WL-3", "US", "20261202") })
        {
            var steps = byId[id].GetProperty("00400100").GetProperty("Value");
            Assert.Equal(1, steps.GetArrayLength());
            Assert.Equal(modality, FindTests.Text(steps[0], "00080060"));
            Assert.Equal($"SPS-{id}", FindTests.Text(steps[0], "00400009"));
            Assert.Equal(date, FindTests.Text(steps[0], "00400002"));
            Assert.Equal("ROOM7", FindTests.Text(steps[0], "00400001"));
            Assert.Equal($"ACC-{id[^1]}", FindTests.Text(byId[id], "00080050"));
            Assert.Equal($"RP-{id}", FindTests.Text(byId[id], "00401001"));
        }
    }

    [Fact]
    public void Sequence_keys_match_inside_the_scheduled_step()
    {
        using var wl = new OrthancWorklist("Utf8");
        var us = wl.Find("ScheduledProcedureStepSequence[0].Modality=US");
        Assert.True(us.ExitCode == 0, us.All);
        Assert.Equal(["WL-3"], FindTests.Matches(us).Select(m => FindTests.Text(m, "00100020")));
        var dx = wl.Find("ScheduledProcedureStepSequence[0].Modality=DX", "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=20261201");
        Assert.True(dx.ExitCode == 0, dx.All);
        Assert.Equal(["WL-1", "WL-2"], FindTests.Matches(dx).Select(m => FindTests.Text(m, "00100020")!).Order(StringComparer.Ordinal));
        var none = wl.Find("ScheduledProcedureStepSequence[0].Modality=MR");
        Assert.Equal(0, none.ExitCode);
        Assert.Empty(FindTests.Matches(none));
    }

    /// <summary>
    /// 2,000 entries with a 10 KB PatientComments each: 20 MB of answers, far more than loopback's socket buffers, and
    /// we read nothing while we cancel, so Orthanc cannot have sent them all before our C-CANCEL-RQ arrives. Orthanc
    /// (dcmtk's DIMSE_findProvider) then ends the query with FE00 "matching terminated due to cancel" — a status it
    /// sends only when it saw the C-CANCEL for this Message ID before its last match; without it the same query ends
    /// with 2,000 matches and success (checked at the end, on the same association).
    /// </summary>
    [Fact]
    public async Task C_CANCEL_after_the_first_match_stops_Orthanc()
    {
        const int Entries = 2000;
        using var wl = new OrthancWorklist(many: Entries);
        var association = await DicomClient.OpenAsync(new DicomClientOptions { Host = "127.0.0.1", Port = wl.Orthanc.DicomPort, CalledAE = wl.Orthanc.AeTitle },
            [new PresentationContextProposal(1, DicomUids.ModalityWorklistInformationModelFind, [DicomUids.ExplicitVRLittleEndian])]);
        await using (association)
        {
            var query = new DicomDataset();
            query.Set(DicomTags.PatientID, DicomVR.LO, Array.Empty<string>());
            query.Set(DicomTags.PatientComments, DicomVR.LT, Array.Empty<string>());
            using var stop = new CancellationTokenSource();
            var seen = new List<DicomFindResponse>();
            await foreach (var response in association.FindAsync(DicomUids.ModalityWorklistInformationModelFind, query, stop.Token))
            {
                seen.Add(response);
                if (response.IsPending)
                    await stop.CancelAsync(); // the caller has what it wanted: C-CANCEL-RQ, then the final response
            }
            Assert.Single(seen, r => r.IsPending);
            Assert.Equal(0xFE00, seen[^1].Status.Code);

            // Leaving the enumeration after the first match (the other way to stop) also leaves the association usable.
            await foreach (var response in association.FindAsync(DicomUids.ModalityWorklistInformationModelFind, query))
            {
                Assert.True(response.IsPending, response.Status.ToString());
                break;
            }

            var light = new DicomDataset();
            light.Set(DicomTags.PatientID, DicomVR.LO, Array.Empty<string>());
            var all = new List<DicomFindResponse>();
            await foreach (var response in association.FindAsync(DicomUids.ModalityWorklistInformationModelFind, light))
                all.Add(response);
            Assert.Equal(Entries, all.Count(r => r.IsPending));
            Assert.True(all[^1].Status.IsSuccess, all[^1].Status.ToString());
        }
    }
}
