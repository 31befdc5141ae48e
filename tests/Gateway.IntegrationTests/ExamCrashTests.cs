using System.Globalization;
using Gateway.Dicom;
using Gateway.Testing;
using Xunit;
using Xunit.Abstractions;
using DicomJson = Gateway.Testing.DicomJson;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #17's invariant, as processes: `gateway run` acquires a configured (unscheduled) exam's images from a watch
/// folder while it is killed with SIGKILL at seeded random moments (between images, during an import, between the
/// images and the end) and started again; the exam ends by the profile's idle time-out. A checker then compares what
/// the peers received: the final N-SET's Performed Series Sequence lists exactly the SOP instances the PACS (storescp)
/// stored — no more, no fewer —, every stored image carries the exam's patient and study, and the MPPS SCP (dcmjs-dimse)
/// saw N-CREATE before any N-SET, all for the one PPS instance. Replay a failure with GATEWAY_SWF_SEED.
/// </summary>
public sealed class ExamCrashTests(ITestOutputHelper output)
{
    private const int Images = 14;

    [Fact]
    public void Killing_the_gateway_between_images_and_the_end_leaves_the_N_SET_listing_exactly_what_the_PACS_stored()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("GATEWAY_SWF_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        using var dir = new TempDirectory("swf-crash");
        using var pacs = new DcmtkStoreScp("PACS");
        using var mpps = DcmjsPeer.StartScp("RIS");
        var import = Directory.CreateDirectory(Path.Combine(dir.Path, "import")).FullName;
        var profile = Path.Combine(dir.Path, "profile.json");
        File.WriteAllText(profile, $$"""
            { "schema": 1, "name": "swf-dx", "description": "a DX console exporting PGM files",
              "watchFolder": { "path": "{{import}}", "stableMs": 50, "pollMs": 20 },
              "output": { "iod": "dx", "grouping": "object-per-frame", "examIdleSeconds": 4,
                "attributes": { "Manufacturer": "Test", "ImagerPixelSpacing": [0.2, 0.2], "PatientOrientation": ["L", "F"] } } }
            """);
        var destination = $$"""{ "name": "pacs", "aeTitle": "PACS", "host": "127.0.0.1", "port": {{pacs.Port.ToString(CultureInfo.InvariantCulture)}}, "retryMinSeconds": 0.2, "retryMaxSeconds": 1 }""";
        var extra = $$"""
              "device": { "profile": "{{profile}}", "gpio": false },
              "exam": { "PatientID": "CRASH-1", "PatientName": "Crash^Test" },
              "mpps": { "aeTitle": "RIS", "host": "127.0.0.1", "port": {{mpps.Port.ToString(CultureInfo.InvariantCulture)}}, "retryMinSeconds": 0.5, "retryMaxSeconds": 1, "timeoutSeconds": 5 },
            """;
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destination, extra);
        gateway.Start();
        var kills = 0;
        void Kill(string when)
        {
            output.WriteLine($"SIGKILL {when}");
            gateway.Kill();
            kills++;
            gateway.Start();
        }
        for (var n = 1; n <= Images; n++)
        {
            var pixels = Enumerable.Range(0, 64 * 48).SelectMany(i => new[] { (byte)((i * n) % 4096 >> 8), (byte)(i * n) }).ToArray();
            var tmp = Path.Combine(import, $".x{n}.tmp");
            File.WriteAllBytes(tmp, [.. System.Text.Encoding.ASCII.GetBytes("P5\n64 48\n4095\n"), .. pixels]);
            File.Move(tmp, Path.Combine(import, $"exposure-{n:D3}.pgm"));
            if (random.Next(3) == 0)
            {
                // Anywhere from "before the import was seen" to "just after its commit and forward".
                Thread.Sleep(random.Next(0, 250));
                Kill($"after image {n}");
            }
            else
                Thread.Sleep(random.Next(0, 150));
        }
        WaitFor(() => Directory.GetFiles(import, "*.pgm").Length == 0, TimeSpan.FromSeconds(60), "every image imported", gateway);
        if (random.Next(2) == 0)
            Kill("after the last image, before the end");
        var log = mpps.WaitFor(l => l.Any(m => m.Event == "request" && m.Command == "N-SET"), TimeSpan.FromSeconds(60));
        WaitFor(() => gateway.SpoolEntries == 0, TimeSpan.FromSeconds(60), "the spool to drain", gateway);
        output.WriteLine($"{kills} kill(s); the MPPS SCP saw: {string.Join(", ", log.Where(m => m.Event == "request").Select(m => m.Command))}");

        var requests = log.Where(m => m.Event == "request").ToList();
        Assert.Equal("N-CREATE", requests[0].Command);
        var pps = requests[0].SopInstance;
        Assert.All(requests, r => Assert.Equal(pps, r.SopInstance));
        // A kill after an N-CREATE went out and before it was marked sent sends it again: the SCP answers 0111, taken as created.
        Assert.Equal(0, requests[0].Status);
        Assert.All(requests.Skip(1), r => Assert.Equal(r.Command == "N-CREATE" ? 0x0111 : 0, r.Status));
        Assert.True(requests.FindIndex(r => r.Command == "N-SET") > 0);
        var set = requests.Last(r => r.Command == "N-SET");
        Assert.Equal("COMPLETED", set.Text("00400252"));
        var listed = set.Items("00400340").SelectMany(i => DicomJson.Items(i, "00081140")).Select(i => DicomJson.Text(i, "00081155")!).ToList();
        var stored = pacs.ReceivedFiles.Select(f => DicomFile.Open(f).Dataset).ToList();
        var storedUids = stored.Select(d => d.GetString(DicomTags.SOPInstanceUID)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        Assert.True(storedUids.SequenceEqual(listed.Order(StringComparer.Ordinal)),
            $"seed {seed}: the N-SET lists {listed.Count} instance(s), the PACS stored {storedUids.Count}:\nonly listed: {string.Join(", ", listed.Except(storedUids))}\nonly stored: {string.Join(", ", storedUids.Except(listed))}\n{gateway.AllOutput}");
        Assert.Equal(listed.Count, listed.Distinct(StringComparer.Ordinal).Count());
        Assert.True(storedUids.Count >= Images, $"seed {seed}: {storedUids.Count} stored for {Images} images");
        var study = DicomJson.Text(Assert.Single(requests[0].Items("00400270")), "0020000D");
        Assert.All(stored, d =>
        {
            Assert.Equal("CRASH-1", d.GetString(DicomTags.PatientID));
            Assert.Equal(study, d.GetString(DicomTags.StudyInstanceUID));
        });
    }

    private static void WaitFor(Func<bool> done, TimeSpan timeout, string what, GatewayProcess gateway)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"waited {timeout} for {what}\n{gateway.AllOutput}");
            Thread.Sleep(50);
        }
    }
}
