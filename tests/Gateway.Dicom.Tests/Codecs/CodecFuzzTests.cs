using System.Diagnostics;
using Gateway.Dicom.Codecs;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Dicom.Tests.Codecs;

/// <summary>
/// Issue #19: thousands of seeded, mutated codestreams per codec either decode or raise DicomFormatException (naming
/// the frame) — never another exception, a hang, or an allocation beyond a small multiple of the declared image.
/// </summary>
public sealed class CodecFuzzTests(ITestOutputHelper output)
{
    private const int MutantsPerCodec = 2500;

    public static TheoryData<string> Syntaxes => [DicomTransferSyntax.RleLossless.Uid, DicomTransferSyntax.JpegLsLossless.Uid, DicomTransferSyntax.JpegLsNearLossless.Uid, DicomTransferSyntax.JpegLosslessSV1.Uid, DicomTransferSyntax.JpegBaseline.Uid];

    [Theory]
    [MemberData(nameof(Syntaxes))]
    public void Mutated_codestreams_decode_or_raise_DicomFormatException(string uid)
    {
        var ts = DicomTransferSyntax.FromUid(uid);
        CodecImages.Spec[] specs = ts.Equals(DicomTransferSyntax.JpegBaseline)
            ? [CodecImages.OddGrey8, CodecImages.Rgb, CodecImages.MultiFrameColour, CodecImages.OnePixel]
            : [CodecImages.OddGrey8, CodecImages.Grey12, CodecImages.Rgb, CodecImages.Grey16Noise, CodecImages.MultiFrameColour];
        var seeds = specs
            .Select(s => CodecImages.File(s).Transcode(ts, new CodecOptions { NearLossless = 2 }))
            .ToList();
        var random = new Random(19_2026 + uid.Length);
        int decoded = 0, refused = 0, unsupported = 0;
        var failures = new List<string>();
        var slowest = TimeSpan.Zero;
        for (var n = 0; n < MutantsPerCodec; n++)
        {
            var seed = seeds[random.Next(seeds.Count)];
            var d = PixelDescription.FromDataset(seed.Dataset);
            var f = (DicomFragmentSequence)seed.Dataset.Find(DicomTags.PixelData)!;
            var which = random.Next(f.Fragments.Count);
            var (mutant, how) = Mutate(f.Fragments[which].Memory.ToArray(), random);
            var fragments = f.Fragments.ToList();
            fragments[which] = DicomBuffer.From(mutant);
            var ds = new DicomDataset(seed.Dataset);
            ds.AddOrUpdate(new DicomFragmentSequence(DicomTags.PixelData, DicomVR.OB, f.OffsetTable, fragments));
            var file = new DicomFile(ds, ts);
            var before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            try
            {
                file.Transcode(DicomTransferSyntax.ExplicitVRLittleEndian);
                decoded++;
            }
            catch (DicomFormatException e)
            {
                refused++;
                if (!e.Message.Contains($"frame {which + 1} of {f.Fragments.Count}", StringComparison.Ordinal))
                    failures.Add($"#{n} ({how}): the message does not name frame {which + 1}: {e.Message}");
            }
            catch (NotSupportedException)
            {
                unsupported++; // a well-formed request for a feature we do not decode (e.g. a JPEG-LS mapping table)
            }
            catch (Exception e)
            {
                failures.Add($"#{n} ({how}): {e.GetType().Name}: {e.Message}");
            }
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
            if (allocated > 4 * d.TotalBytes + (2 << 20))
                failures.Add($"#{n} ({how}): allocated {allocated} bytes for a {d.TotalBytes}-byte image");
            if (clock.Elapsed > TimeSpan.FromSeconds(2))
                failures.Add($"#{n} ({how}): took {clock.Elapsed}");
        }
        output.WriteLine($"{ts.Name}: {MutantsPerCodec} mutants: {decoded} decoded, {refused} refused, {unsupported} unsupported features; slowest {slowest.TotalMilliseconds:F1} ms");
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(20)));
        Assert.True(refused > MutantsPerCodec / 10, "the mutations should break a good share of the codestreams");
    }

    private static (byte[] Bytes, string How) Mutate(byte[] seed, Random r)
    {
        var b = (byte[])seed.Clone();
        switch (r.Next(6))
        {
            case 0:
                var at = r.Next(b.Length);
                b[at] ^= (byte)(1 << r.Next(8));
                return (b, $"bit flip at {at}");
            case 1:
                var cut = r.Next(b.Length);
                return (b[..cut], $"truncated to {cut}");
            case 2:
                var n = r.Next(1, 16);
                for (var i = 0; i < n; i++)
                    b[r.Next(b.Length)] = (byte)r.Next(256);
                return (b, $"{n} random bytes");
            case 3:
                // The headers: RLE's segment table, JPEG-LS's marker segments.
                var h = r.Next(Math.Min(64, b.Length));
                b[h] = (byte)r.Next(256);
                return (b, $"header byte {h}");
            case 4:
                var start = r.Next(b.Length);
                var length = Math.Min(b.Length - start, r.Next(1, 64));
                r.NextBytes(b.AsSpan(start, length));
                return (b, $"{length} random bytes at {start}");
            default:
                var extra = new byte[r.Next(1, 100)];
                r.NextBytes(extra);
                var pos = r.Next(b.Length);
                return ([.. b[..pos], .. extra, .. b[pos..]], $"{extra.Length} bytes inserted at {pos}");
        }
    }
}
