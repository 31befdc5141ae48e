using System.Globalization;
using System.Security.Cryptography;
using Gateway.Dicom;
using Gateway.Dicom.Network;
using Gateway.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #5 acceptance: the real gateway process receives and forwards 500 objects to Orthanc while it is killed with
/// SIGKILL at random moments (during enqueue, mid-association) and restarted; at the end every SOP Instance UID is in
/// Orthanc with identical pixel data, nothing is left in the spool, and nothing was dead-lettered or quarantined.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private const int Objects = 500;
    private const int Kills = 12;

    [Fact]
    public async Task Killing_the_gateway_at_random_moments_loses_and_mangles_nothing()
    {
        using var orthanc = new OrthancPeer();
        using var dir = new TempDirectory("crash");
        var objects = Directory.CreateDirectory(Path.Combine(dir.Path, "objects")).FullName;
        var expected = new Dictionary<string, byte[]>();
        var random = new Random(5);
        for (var i = 0; i < Objects; i++)
        {
            var (uid, pixels) = TestModality.Write(Path.Combine(objects, $"{i:D3}.dcm"), random, "CRASH", "2.25.1001", "2.25.1002");
            expected[uid] = SHA256.HashData(pixels);
        }

        var destination = $$"""{ "name": "orthanc", "aeTitle": "{{orthanc.AeTitle}}", "host": "127.0.0.1", "port": {{orthanc.DicomPort.ToString(CultureInfo.InvariantCulture)}}, "retryMinSeconds": 0.2, "retryMaxSeconds": 1 }""";
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destination);
        gateway.Start();

        // The modality: sends each object until the gateway acknowledges it, reconnecting after every failure.
        var acknowledged = 0;
        var sender = Task.Run(async () =>
        {
            DicomClientAssociation? association = null;
            foreach (var file in Directory.GetFiles(objects).Order(StringComparer.Ordinal))
            {
                for (var attempt = 0; ; attempt++)
                {
                    // 200 attempts of ~50 ms were ~10 s: a restart (recovery, then "running") on a loaded 2-core box can take longer.
                    Assert.True(attempt < 2000, $"{file} was never acknowledged");
                    try
                    {
                        association ??= await DicomClient.OpenAsync(
                            new DicomClientOptions { Host = "127.0.0.1", Port = gateway.ScpPort, CalledAE = "GATEWAY", CallingAE = "MODALITY", ConnectTimeout = TimeSpan.FromSeconds(2) },
                            PresentationContextPlanner.Plan([(DicomUids.SecondaryCaptureImageStorage, DicomUids.ExplicitVRLittleEndian)]));
                        var result = await association.StoreAsync(file);
                        if (result.IsSuccess)
                        {
                            Interlocked.Increment(ref acknowledged);
                            break;
                        }
                    }
                    catch (DicomNetworkException)
                    {
                        association = null;
                        await Task.Delay(50);
                    }
                }
            }
            if (association is not null)
                await association.ReleaseAsync();
        });

        // The power cuts: SIGKILL after every 15–45 acknowledged objects (plus a random few milliseconds, so that
        // kills land inside enqueues and inside associations), then a restart that must recover the spool.
        var duringActivity = 0;
        for (var k = 0; k < Kills; k++)
        {
            var target = Math.Min(Objects, Volatile.Read(ref acknowledged) + random.Next(15, 45));
            while (Volatile.Read(ref acknowledged) < target && !sender.IsCompleted)
                await Task.Delay(5);
            await Task.Delay(random.Next(0, 30));
            var busy = !sender.IsCompleted || gateway.SpoolEntries > 0;
            gateway.Kill();
            if (busy)
                duringActivity++;
            output.WriteLine($"kill {k + 1}: {Volatile.Read(ref acknowledged)} acknowledged, {gateway.SpoolEntries} in the spool{(busy ? "" : " (idle)")}");
            gateway.Start();
        }
        Assert.True(duringActivity >= 10, $"only {duringActivity} kills happened while objects were moving");
        await sender.WaitAsync(TimeSpan.FromMinutes(5));

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while ((gateway.SpoolEntries > 0 || orthanc.Instances().Count < Objects) && DateTime.UtcNow < deadline)
            await Task.Delay(250);
        output.WriteLine($"end: {gateway.SpoolEntries} in the spool, {orthanc.Instances().Count} in Orthanc");

        var stored = orthanc.InstancesBySopInstanceUid();
        Assert.True(expected.Keys.All(stored.ContainsKey), $"{expected.Keys.Count(u => !stored.ContainsKey(u))} objects missing in Orthanc\n{gateway.Output}");
        foreach (var (uid, hash) in expected)
        {
            var copy = Path.Combine(dir.Path, "check.dcm");
            File.WriteAllBytes(copy, orthanc.File(stored[uid]));
            Assert.Equal(hash, SHA256.HashData(DicomFile.Open(copy).Dataset.GetBuffer(DicomTags.PixelData).Memory.Span));
        }
        Assert.Equal(0, gateway.SpoolEntries);
        Assert.Empty(Directory.GetFiles(Path.Combine(gateway.SpoolPath, "quarantine")));
    }
}
