using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Gateway.Dicom.Tests;

/// <summary>
/// Issue #2: values of every VR, generated at random within the VR's rules, come back unchanged after writing in each
/// transfer syntax we write (Implicit LE, Explicit LE, Deflated) and reading again — at top level and inside an item.
/// </summary>
public sealed class RoundTripProperties
{
    public sealed record ValueCase(DicomVR VR, string? Text, byte[]? Bytes, int Syntax);

    private static readonly DicomTransferSyntax[] Syntaxes =
        [DicomTransferSyntax.ImplicitVRLittleEndian, DicomTransferSyntax.ExplicitVRLittleEndian, DicomTransferSyntax.DeflatedExplicitVRLittleEndian];

    /// <summary>A public, non-retired, unambiguous tag per VR (so that Implicit VR can recover the VR from the dictionary).</summary>
    private static readonly Dictionary<DicomVR, DicomTag> TagFor = DicomVR.All
        .Where(vr => vr != DicomVR.SQ && vr != DicomVR.UN)
        .ToDictionary(vr => vr, vr => DicomDictionary.Entries
            .Where(e => !e.IsRepeating && !e.IsAmbiguous && e.VR == vr && e.Tag.Group is > 0x0002 and < 0x7FE0 && e.Tag != DicomTags.SpecificCharacterSet)
            .OrderBy(e => e.IsRetired).ThenBy(e => e.VM.Maximum == 1 ? 1 : 0).ThenBy(e => e.Tag.Value).First().Tag);

    private static readonly DicomTag PrivateUN = new(0x0009, 0x1001);

    private static Gen<string> Chars(string alphabet, int min, int max) =>
        Gen.Choose(min, max).SelectMany(n => Gen.ArrayOf(Gen.Elements(alphabet.ToCharArray()), n)).Select(a => new string(a));

    private const string Latin = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,-'()éèàüöäßñçÅØæ";
    private const string Wide = "ABCxyz 019.-山田太郎やまだたろうДмитрийΩμέγα한국어éü";

    private static Gen<string> NoEdgeSpaces(Gen<string> g) => g.Select(s => s.Trim()).Where(s => s.Length > 0);

    private static Gen<string> TextFor(DicomVR vr) => vr.Code switch
    {
        "AE" => NoEdgeSpaces(Chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_- ", 1, 16)),
        "AS" => Gen.Choose(0, 999).SelectMany(n => Gen.Elements('D', 'W', 'M', 'Y').Select(u => n.ToString("000", CultureInfo.InvariantCulture) + u)),
        "CS" => NoEdgeSpaces(Chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ ", 1, 16)),
        "DA" => Gen.Choose(0, 365 * 200).Select(d => DicomDateTimeText.FormatDate(new DateOnly(1900, 1, 1).AddDays(d))),
        "TM" => Gen.Choose(0, 86399).SelectMany(s => Gen.Choose(0, 999999).Select(us =>
            DicomDateTimeText.FormatTime(new TimeOnly(TimeSpan.FromSeconds(s).Ticks + us * 10L)))),
        "DT" => Gen.Choose(0, 365 * 100).SelectMany(d => Gen.Choose(0, 86399).Select(s =>
            DicomDateTimeText.FormatDateTime(new DateTimeOffset(new DateTime(1950, 1, 1).AddDays(d).AddSeconds(s), TimeSpan.FromHours(2))))),
        "DS" => Gen.Choose(-1000000, 1000000).SelectMany(a => Gen.Choose(1, 10000).Select(b => DicomDataset.FormatDecimal(a / (double)b))),
        "IS" => Gen.Choose(int.MinValue, int.MaxValue).Select(i => i.ToString(CultureInfo.InvariantCulture)),
        "UI" => Gen.ArrayOf(Gen.Choose(0, 99999), 3).Select(p => "1.2." + string.Join('.', p)),
        "UR" => Chars("abcdefghijklmnopqrstuvwxyz0123456789/:.?=&", 1, 80).Select(s => "http://h/" + s),
        "PN" => NoEdgeSpaces(Chars(Wide, 1, 20)).SelectMany(f => NoEdgeSpaces(Chars(Wide, 1, 20)).Select(g => f + "^" + g)),
        "LO" or "SH" => NoEdgeSpaces(Chars(Wide, 1, (int)vr.MaxLength)),
        "LT" or "ST" or "UT" => NoEdgeSpaces(Chars(Wide + "\r\n", 1, 300)),
        "UC" => NoEdgeSpaces(Chars(Wide, 1, 300)),
        _ => throw new ArgumentOutOfRangeException(nameof(vr), vr.Code),
    };

    private static Gen<byte[]> BytesFor(DicomVR vr)
    {
        var unit = vr.UnitSize;
        return Gen.Choose(1, vr.Kind == DicomVRKind.Bulk ? 200 : 4)
            .SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n * unit));
    }

    private static Gen<ValueCase> Cases =>
        Gen.Elements(DicomVR.All.Where(v => v != DicomVR.SQ).ToArray()).SelectMany(vr =>
            (vr.Kind == DicomVRKind.Text
                ? TextFor(vr).Select(t => (Text: (string?)t, Bytes: (byte[]?)null))
                : BytesFor(vr).Select(b => (Text: (string?)null, Bytes: (byte[]?)b)))
            .SelectMany(v => Gen.Choose(0, Syntaxes.Length - 1).Select(ts => new ValueCase(vr, v.Text, v.Bytes, ts))));

    [Property(MaxTest = 600)]
    public Property Values_of_every_VR_survive_every_transfer_syntax() =>
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var tag = c.VR == DicomVR.UN ? PrivateUN : TagFor[c.VR];
            var ds = new DicomDataset();
            ds.Set(DicomTags.SpecificCharacterSet, "ISO_IR 192");
            ds.Set(DicomTags.SOPClassUID, DicomUids.SecondaryCaptureImageStorage);
            ds.Set(DicomTags.SOPInstanceUID, "1.2.3.4");
            var item = new DicomDataset();
            foreach (var target in new[] { ds, item })
            {
                if (c.VR == DicomVR.UN)
                    target.Set(new DicomTag(0x0009, 0x0010), DicomVR.LO, "ROUNDTRIP");
                if (c.Text is not null)
                    target.Set(tag, c.VR, c.Text);
                else
                    target.SetBytes(tag, c.VR, DicomBuffer.From(c.Bytes!));
            }
            ds.SetSequence(DicomTags.ReferencedImageSequence, item);

            var ms = new MemoryStream();
            new DicomFile(ds, Syntaxes[c.Syntax]).WriteTo(ms);
            ms.Position = 0;
            var back = DicomFile.Read(ms).Dataset;
            var backItem = back.GetSequence(DicomTags.ReferencedImageSequence).Items[0];
            return Same(back, tag, c) && Same(backItem, tag, c);
        });

    /// <summary>Values are even-length on the wire (PS3.5 §7.1.1): an odd OB/UN value gains a NUL.</summary>
    private static byte[] Padded(byte[] b) => b.Length % 2 == 0 ? b : [.. b, 0];

    private static bool Same(DicomDataset ds, DicomTag tag, ValueCase c)
    {
        var e = (DicomElement)ds.Find(tag)!;
        return c.Text is not null
            ? ds.GetString(tag) == c.Text.TrimEnd(' ')
            : e.Buffer.Memory.Span.SequenceEqual(Padded(c.Bytes!));
    }
}
