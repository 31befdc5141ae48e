using System.Text.RegularExpressions;
using Gateway.Acquisition.Worklist;
using Gateway.Dicom;
using Gateway.Dicom.Network;

namespace Gateway.Host.Commands;

/// <summary>
/// `gateway find --to HOST:PORT --called AET --level worklist|patient|study|series|image [-k Keyword[=Value]]...`:
/// C-FIND (Modality Worklist Information Model – FIND, Patient/Study Root Query/Retrieve – FIND). `-k Keyword`
/// asks for the attribute as a return key, `-k Keyword=Value` matches on it, `-k Seq[0].Keyword=Value` reaches into a
/// sequence item; each level has default return keys. One line of DICOM JSON (PS3.18 Annex F) per match on stdout.
/// Exit 0 when the query completed (also with no match), 1 when the peer refused or failed it, 2 for bad usage.
/// </summary>
internal static partial class FindCommand
{
    /// <summary>Each level's SOP class, Query/Retrieve Level and default return keys (the worklist's are the gateway's own, <see cref="WorklistQuery.ReturnKeys"/>).</summary>
    private static readonly Dictionary<string, (string SopClass, string? Level, Func<DicomDataset> Defaults)> Levels = new(StringComparer.Ordinal)
    {
        ["worklist"] = (DicomUids.ModalityWorklistInformationModelFind, null, WorklistQuery.ReturnKeys),
        ["patient"] = (DicomUids.PatientRootQueryRetrieveInformationModelFind, "PATIENT", () => Keys("PatientName", "PatientID", "PatientBirthDate", "PatientSex")),
        ["study"] = (DicomUids.StudyRootQueryRetrieveInformationModelFind, "STUDY",
            () => Keys("StudyInstanceUID", "PatientName", "PatientID", "StudyDate", "StudyTime", "AccessionNumber", "StudyDescription", "ModalitiesInStudy", "NumberOfStudyRelatedInstances")),
        ["series"] = (DicomUids.StudyRootQueryRetrieveInformationModelFind, "SERIES",
            () => Keys("StudyInstanceUID", "SeriesInstanceUID", "Modality", "SeriesNumber", "SeriesDescription", "NumberOfSeriesRelatedInstances")),
        ["image"] = (DicomUids.StudyRootQueryRetrieveInformationModelFind, "IMAGE",
            () => Keys("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID", "InstanceNumber")),
    };

    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        var options = NetworkArgs.Client(args);
        var levelName = args.Required("level");
        if (!Levels.TryGetValue(levelName, out var level))
            throw new UsageException($"--level {levelName}: use worklist, patient, study, series or image");
        var keys = args.Options("k");
        args.RejectUnknown();
        args.ExpectPositional(0, "no positional arguments (keys are given with -k)");
        var identifier = Identifier(level.Defaults(), keys);
        if (level.Level is { } qr)
            identifier.Set(DicomTags.QueryRetrieveLevel, qr);
        return RunAsync(options, level.SopClass, identifier, stdout, stderr).GetAwaiter().GetResult();
    }

    private static DicomDataset Keys(params string[] keywords)
    {
        var ds = new DicomDataset();
        foreach (var k in keywords)
            Apply(ds, k, null);
        return ds;
    }

    /// <summary>The query: the level's return keys (<paramref name="ds"/>), then the user's keys (which may add to, or give values to, them).</summary>
    internal static DicomDataset Identifier(DicomDataset ds, IEnumerable<string> keys)
    {
        var nonAscii = false;
        foreach (var k in keys)
        {
            var eq = k.IndexOf('=', StringComparison.Ordinal);
            var path = eq < 0 ? k : k[..eq];
            var value = eq < 0 ? null : k[(eq + 1)..];
            nonAscii |= value?.Any(c => c > 0x7F) == true;
            Apply(ds, path, value);
        }
        if (nonAscii)
            ds.Set(DicomTags.SpecificCharacterSet, "ISO_IR 192"); // a matching value outside ASCII goes as UTF-8
        return ds;
    }

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9]*)(?:\[(\d+)\])?$")]
    private static partial Regex Step();

    private static void Apply(DicomDataset ds, string path, string? value)
    {
        var steps = path.Split('.');
        var target = ds;
        for (var i = 0; i < steps.Length; i++)
        {
            var m = Step().Match(steps[i]);
            if (!m.Success)
                throw new UsageException($"-k {path}: '{steps[i]}' is not a keyword (or Keyword[index])");
            var entry = DicomDictionary.Find(m.Groups[1].Value) ?? throw new UsageException($"-k {path}: '{m.Groups[1].Value}' is not a DICOM keyword");
            var last = i == steps.Length - 1;
            if (!last || m.Groups[2].Success)
            {
                if (entry.VR != DicomVR.SQ)
                    throw new UsageException($"-k {path}: {entry.Keyword} is not a sequence");
                var index = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
                if (target.Find(entry.Tag) is not DicomSequence sq)
                {
                    sq = new DicomSequence(entry.Tag);
                    target.AddOrUpdate(sq);
                }
                while (sq.Items.Count <= index)
                    sq.Add(new DicomDataset());
                target = sq.Items[index];
                if (last && value is not null)
                    throw new UsageException($"-k {path}: a sequence takes no value; give one of its items' keywords");
                continue;
            }
            if (entry.VR == DicomVR.SQ)
            {
                if (value is not null)
                    throw new UsageException($"-k {path}: a sequence takes no value; give one of its items' keywords");
                if (target.Find(entry.Tag) is null)
                    target.AddOrUpdate(new DicomSequence(entry.Tag, [new DicomDataset()]));
                return;
            }
            try
            {
                if (value is null)
                {
                    if (target.Find(entry.Tag) is null)
                        target.Set(entry.Tag, entry.VR, Array.Empty<string>());
                }
                else
                    target.Set(entry.Tag, entry.VR, value.Split('\\'));
            }
            catch (DicomValueException e)
            {
                throw new UsageException($"-k {path}: {e.Message}");
            }
        }
    }

    private static async Task<int> RunAsync(DicomClientOptions options, string sopClass, DicomDataset identifier, TextWriter stdout, TextWriter stderr)
    {
        var contexts = new List<PresentationContextProposal>
        {
            new(1, sopClass, [DicomUids.ExplicitVRLittleEndian, DicomUids.ImplicitVRLittleEndian]),
        };
        var association = await DicomClient.OpenAsync(options, contexts).ConfigureAwait(false);
        await using (association.ConfigureAwait(false))
        {
            var matches = 0;
            await foreach (var response in association.FindAsync(sopClass, identifier).ConfigureAwait(false))
            {
                if (response.IsPending)
                {
                    matches++;
                    if (response.Identifier is { } match)
                        stdout.WriteLine(DicomJson.Serialize(match));
                    continue;
                }
                if (response.Status.IsSuccess)
                {
                    stderr.WriteLine($"gateway find: {matches} match(es)");
                    return Cli.Ok;
                }
                stderr.WriteLine($"gateway find: the query ended with {response.Status} after {matches} match(es)");
                return Cli.Failed;
            }
            stderr.WriteLine("gateway find: the peer ended the query without a final status");
            return Cli.Failed;
        }
    }
}
