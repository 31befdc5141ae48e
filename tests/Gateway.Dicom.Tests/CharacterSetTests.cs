using System.Text;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Dicom.Tests;

/// <summary>Specific Character Set decoding checked against pydicom on its charset corpus (ISO 2022 Japanese, Korean, Greek, Russian, Arabic, Hebrew …).</summary>
public sealed class CharacterSetTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_charset_file_decodes_every_text_value_as_pydicom_does()
    {
        var corpus = PydicomCorpus.Get();
        var files = corpus.Files.Where(f => f.Contains("charset_files", StringComparison.Ordinal) && f.EndsWith(".dcm", StringComparison.Ordinal)).ToList();
        Assert.True(files.Count >= 15, $"only {files.Count} charset files");
        var failures = new List<string>();
        var compared = 0;
        foreach (var path in files)
        {
            var reading = corpus.Readings[path];
            Assert.True(reading.Ok, $"pydicom cannot read {path}: {reading.Error}");
            var theirs = new Dictionary<string, string>();
            using (var doc = JsonDocument.Parse(reading.Elements!))
                Flatten(doc.RootElement, "", theirs);
            var ours = new Dictionary<string, string>();
            Collect(DicomFile.Open(path).Dataset, "", ours);
            foreach (var (key, value) in ours)
            {
                compared++;
                if (!theirs.TryGetValue(key, out var expected))
                    failures.Add($"{Path.GetFileName(path)} {key}: pydicom has no such element");
                else if (expected != value)
                    failures.Add($"{Path.GetFileName(path)} {key}: pydicom '{expected}', we '{value}'");
            }
            if (Path.GetFileName(path) == "chrH31.dcm")
                output.WriteLine($"chrH31 PatientName: {ours.GetValueOrDefault("00100010")}");
        }
        output.WriteLine($"{compared} text values compared in {files.Count} files");
        Assert.True(compared > 40);
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Theory]
    [InlineData("ISO_IR 100", "Dupré^Hélène")]
    [InlineData("ISO_IR 100", "Müller^Jürgen")]
    [InlineData("ISO_IR 192", "Дмитрий^Петров=山田^太郎")]
    [InlineData("ISO_IR 144", "Люкceмбypг")]
    [InlineData("ISO_IR 126", "Διονυσιος")]
    public void Names_we_write_come_back_character_for_character(string charset, string name)
    {
        var ds = new DicomDataset();
        ds.Set(DicomTags.SpecificCharacterSet, charset);
        ds.Set(DicomTags.SOPClassUID, DicomUids.SecondaryCaptureImageStorage);
        ds.Set(DicomTags.SOPInstanceUID, DicomUidGenerator.Default.NewUid());
        ds.Set(DicomTags.PatientName, name);
        foreach (var ts in new[] { DicomTransferSyntax.ImplicitVRLittleEndian, DicomTransferSyntax.ExplicitVRLittleEndian, DicomTransferSyntax.DeflatedExplicitVRLittleEndian })
        {
            var ms = new MemoryStream();
            new DicomFile(ds, ts).WriteTo(ms);
            ms.Position = 0;
            Assert.Equal(name, DicomFile.Read(ms).Dataset.GetString(DicomTags.PatientName));
        }
    }

    /// <summary>
    /// The bytes of Orthanc 1.10's worklist answers with DefaultEncoding JapaneseKanji: Specific Character Set is a
    /// single "ISO 2022 IR 87" (Table C.12-4 allows it in values 2 to n only), each value starts in ASCII, kanji and kana
    /// come after ESC $ B and accented Latin letters after ESC $ ( D (JIS X 0212, not declared). Python's iso2022_jp_2
    /// reads them as below; we read the Japanese name as two-byte kanji from its first byte and the JIS X 0212 letters as
    /// U+30FB until this was fixed.
    /// </summary>
    [Theory]
    [InlineData("59616d6164615e5461726f753d 1b24423b334544 1b2842 5e 1b244242404f3a 1b2842 3d 1b24422464245e2440 1b2842 5e 1b2442243f246d2426 1b2842", "Yamada^Tarou=山田^太郎=やまだ^たろう")]
    [InlineData("4d 1b2428442b64 1b2842 6c6c65725e48 1b2428442b31 1b2842 6c 1b2428442b32 1b2842 6e6520", "Müller^Hélène")]
    [InlineData("44766f 1b2428442b5a2b21 1b2842 6b5e5a6f 1b2428442b33 1b2842 20", "Dvořák^Zoë")]
    public void Orthanc_s_single_valued_ISO_2022_IR_87_answers_start_in_ASCII_and_read_JIS_X_0212(string hex, string name)
    {
        var bytes = Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
        Assert.Equal(name, DicomCharacterSet.FromTerms(["ISO 2022 IR 87"]).Decode(bytes, DicomVR.PN).TrimEnd(' '));
        Assert.Equal(name, DicomCharacterSet.FromTerms(["", "ISO 2022 IR 87", "ISO 2022 IR 159"]).Decode(bytes, DicomVR.PN).TrimEnd(' '));
    }

    [Fact]
    public void Items_without_their_own_character_set_inherit_the_parents()
    {
        var ds = new DicomDataset();
        ds.Set(DicomTags.SpecificCharacterSet, "ISO_IR 100");
        var item = new DicomDataset();
        item.Set(DicomTags.PatientName, "Dupré");
        ds.SetSequence(DicomTags.OtherPatientIDsSequence, item);
        Assert.Equal("ISO_IR 100", string.Join('\\', item.CharacterSet.Terms));
        var bytes = item.Find(DicomTags.PatientName) is DicomElement e ? e.GetBuffer(item.CharacterSet).Memory.ToArray() : [];
        Assert.Equal(Encoding.Latin1.GetBytes("Dupré"), bytes);
    }

    private static void Flatten(JsonElement list, string prefix, Dictionary<string, string> into)
    {
        foreach (var pair in list.EnumerateArray())
        {
            var tag = pair[0].GetString()!;
            var v = pair[1];
            if (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0 && v[0].ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var item in v.EnumerateArray())
                    Flatten(item, $"{prefix}{tag}/{i++}/", into);
                continue;
            }
            into[prefix + tag] = v.ValueKind == JsonValueKind.Array
                ? string.Join('\\', v.EnumerateArray().Select(x => x.GetString()))
                : v.GetString() ?? "";
        }
    }

    private static void Collect(DicomDataset ds, string prefix, Dictionary<string, string> into)
    {
        foreach (var item in ds)
        {
            var key = prefix + item.Tag.Value.ToString("X8", System.Globalization.CultureInfo.InvariantCulture);
            if (item is DicomSequence sq)
            {
                for (var i = 0; i < sq.Items.Count; i++)
                    Collect(sq.Items[i], $"{key}/{i}/", into);
            }
            else if (item is DicomElement && item.VR.UsesCharacterSet && !item.Tag.IsPrivate)
            {
                // pydicom prints a PN without trailing empty component groups ("A=B=" as "A=B"); the value itself keeps them.
                var values = ds.GetStrings(item.Tag).Select(v => item.VR == DicomVR.PN ? v.TrimEnd('=') : v);
                into[key] = string.Join('\\', values);
            }
        }
    }
}
