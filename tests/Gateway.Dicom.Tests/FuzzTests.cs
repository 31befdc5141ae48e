using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Dicom.Tests;

/// <summary>
/// Issue #2: thousands of randomly mutated and truncated copies of real files are read; each either parses or raises
/// DicomFormatException, without hanging and without allocating far more than the file holds.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int Mutants = 6000;

    [Fact]
    public void Mutated_real_files_parse_or_raise_DicomFormatException()
    {
        var corpus = PydicomCorpus.Get();
        var seeds = corpus.Files.Where(f => corpus.Readings[f].Ok && new FileInfo(f).Length < 300_000)
            .Select(File.ReadAllBytes).ToList();
        Assert.True(seeds.Count > 40);
        var random = new Random(20261123);
        int parsed = 0, refused = 0;
        var failures = new List<string>();
        var slowest = TimeSpan.Zero;
        for (var n = 0; n < Mutants; n++)
        {
            var seed = seeds[random.Next(seeds.Count)];
            var (mutant, how) = Mutate(seed, random);
            var before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            try
            {
                var file = DicomFile.Read(new MemoryStream(mutant));
                using var sink = new StringWriter();
                DicomDump.Write(sink, file.Dataset);
                parsed++;
            }
            catch (DicomFormatException)
            {
                refused++;
            }
            catch (Exception e)
            {
                failures.Add($"#{n} ({how}): {e.GetType().Name}: {e.Message}");
            }
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
            // Bound: a few copies of the file (decoded text is UTF-16, dump strings) plus fixed buffers.
            if (allocated > 16L * mutant.Length + (8 << 20))
                failures.Add($"#{n} ({how}): allocated {allocated} bytes for a {mutant.Length}-byte file");
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
                failures.Add($"#{n} ({how}): took {clock.Elapsed} (a hang)");
        }
        output.WriteLine($"{Mutants} mutants: {parsed} parsed, {refused} refused with DicomFormatException; slowest {slowest.TotalMilliseconds:F1} ms");
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(20)));
        Assert.True(refused > Mutants / 10, "the mutations should break a good share of the files");
    }

    private static (byte[] Bytes, string How) Mutate(byte[] seed, Random r)
    {
        var b = (byte[])seed.Clone();
        // Most of a file is pixel data; aim mutations at the first few KB where the structure is.
        int Spot() => r.Next(128, Math.Min(b.Length, 4096));
        switch (r.Next(6))
        {
            case 0:
                var cut = r.Next(0, b.Length);
                return (b[..cut], $"truncated at {cut}");
            case 1:
                for (var i = 0; i < r.Next(1, 9); i++)
                    b[Spot()] = (byte)r.Next(256);
                return (b, "random bytes");
            case 2:
                var at = Spot() & ~1;
                if (at + 4 <= b.Length)
                    BitConverter.GetBytes(r.Next(3) switch { 0 => 0xFFFFFFF0u, 1 => 0xFFFFFFFFu, _ => (uint)r.Next() }).CopyTo(b, at);
                return (b, $"length-like value at {at}");
            case 3:
                var bit = Spot();
                b[bit] ^= (byte)(1 << r.Next(8));
                return (b, $"bit flip at {bit}");
            case 4:
                var from = Spot();
                var len = Math.Min(r.Next(1, 64), b.Length - from);
                var copy = new byte[b.Length + len];
                Array.Copy(b, copy, from + len);
                Array.Copy(b, from, copy, from + len, b.Length - from);
                return (copy, $"duplicated {len} bytes at {from}");
            default:
                var start = Spot();
                var count = Math.Min(r.Next(1, 32), b.Length - start);
                return ([.. b[..start], .. b[(start + count)..]], $"removed {count} bytes at {start}");
        }
    }
}
