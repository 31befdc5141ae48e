using Gateway.Acquisition.Forwarding;
using Gateway.Dicom;
using Gateway.Dicom.Network;
using Gateway.Spool;
using Gateway.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Acquisition.Tests;

public sealed class ForwarderTests : IDisposable
{
    private readonly TempDirectory _dir = new("forwarder");

    public void Dispose() => _dir.Dispose();

    private DurableSpool NewSpool(TimeProvider? time = null)
    {
        var spool = new DurableSpool(new SpoolOptions { Directory = Path.Combine(_dir.Path, "spool"), MinFreeBytes = 0 }, time: time);
        spool.Recover();
        return spool;
    }

    /// <summary>Writes small SC objects and enqueues them; returns their SOP Instance UIDs.</summary>
    private List<string> Enqueue(DurableSpool spool, int count, IReadOnlyList<string> destinations, string sopClass = DicomUids.SecondaryCaptureImageStorage, string modality = "OT")
    {
        var uids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var ds = new DicomDataset();
            ds.Set(DicomTags.SOPClassUID, DicomVR.UI, sopClass);
            var uid = DicomUidGenerator.Default.NewUid();
            ds.Set(DicomTags.SOPInstanceUID, uid);
            ds.Set(DicomTags.Modality, modality);
            ds.Set(DicomTags.PatientName, "Test^Forward");
            ds.SetBytes(DicomTags.PixelData, DicomVR.OB, DicomBuffer.From(new byte[64]));
            var file = Path.Combine(_dir.Path, uid + ".dcm");
            new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Save(file);
            spool.Enqueue(file, new SpoolObjectInfo(sopClass, uid, modality, "test"), destinations);
            uids.Add(uid);
        }
        return uids;
    }

    private static Destination To(int port, string name = "PACS", string ae = "STORESCP") => new()
    {
        Name = name,
        Client = new DicomClientOptions { Host = "127.0.0.1", Port = port, CalledAE = ae, ConnectTimeout = TimeSpan.FromSeconds(2) },
        RetryMin = TimeSpan.FromMilliseconds(200),
        RetryMax = TimeSpan.FromSeconds(1),
        IdleRelease = TimeSpan.FromMilliseconds(500),
    };

    private static Task Until(Func<bool> condition, TimeSpan timeout, Func<string> why) => Poll.Until(condition, timeout, why);

    [Fact]
    public void Backoff_doubles_from_the_minimum_up_to_the_cap_with_jitter_of_20_percent()
    {
        var d = new Destination { Name = "x", Client = new DicomClientOptions { Host = "h", Port = 1, CalledAE = "A" } };
        Assert.Equal(TimeSpan.FromSeconds(5), Forwarder.Backoff(d, 0, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(10), Forwarder.Backoff(d, 1, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(40), Forwarder.Backoff(d, 3, 0.5));
        Assert.Equal(TimeSpan.FromMinutes(10), Forwarder.Backoff(d, 12, 0.5));
        Assert.Equal(TimeSpan.FromMinutes(10), Forwarder.Backoff(d, 1000, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(4), Forwarder.Backoff(d, 0, 0.0));
        Assert.Equal(TimeSpan.FromSeconds(6), Forwarder.Backoff(d, 0, 1.0));
    }

    /// <summary>A sender that fails transiently a number of times, then delivers, recording when it was called.</summary>
    private sealed class FlakySender(TimeProvider time, int failures) : IObjectSender
    {
        public List<DateTimeOffset> Calls { get; } = [];
        public Task<SendOutcome> SendAsync(string path, string sopClassUid, string? sha256, Action progress, CancellationToken ct)
        {
            lock (Calls)
                Calls.Add(time.GetUtcNow());
            return Task.FromResult(Calls.Count <= failures
                ? new SendOutcome(OutcomeKind.Transient, "connection refused")
                : new SendOutcome(OutcomeKind.Delivered, "0000 (success)"));
        }
        public Task CloseAsync() => Task.CompletedTask;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_PACS_that_is_down_is_retried_on_the_back_off_schedule_without_sleeping()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero));
        var spool = NewSpool(time);
        var sender = new FlakySender(time, failures: 5);
        var destination = To(1) with { RetryMin = TimeSpan.FromSeconds(5), RetryMax = TimeSpan.FromSeconds(60), IdleRelease = TimeSpan.FromHours(1) };
        Enqueue(spool, 1, ["PACS"]);
        var forwarder = new Forwarder(spool, [destination], _ => sender, time);
        using var stop = new CancellationTokenSource();
        var run = forwarder.RunAsync(stop.Token);
        for (var attempt = 1; attempt <= 6; attempt++)
        {
            await Until(() => { lock (sender.Calls) return sender.Calls.Count >= attempt; }, TimeSpan.FromSeconds(10), () => $"attempt {attempt} never came");
            if (attempt < 6)
            {
                await Until(() => spool.Entries.Single().Deliveries["PACS"].Attempts == attempt, TimeSpan.FromSeconds(10), () => "retry not recorded");
                var next = spool.Entries.Single().Deliveries["PACS"].NextAttempt;
                time.Advance(next - time.GetUtcNow());
            }
        }
        await Until(() => spool.Entries.Count == 0, TimeSpan.FromSeconds(10), () => "not delivered after the sixth attempt");
        await stop.CancelAsync();
        await run;
        var gaps = sender.Calls.Zip(sender.Calls.Skip(1), (a, b) => (b - a).TotalSeconds).ToList();
        double[] expected = [5, 10, 20, 40, 60];
        for (var i = 0; i < gaps.Count; i++)
            Assert.InRange(gaps[i], expected[i] * 0.8 - 0.001, expected[i] * 1.2 + 0.001);
    }

    /// <summary>
    /// Issue #22: the spool's checksum is checked as the object goes out, not in a pass of its own. A 4 MB payload
    /// damaged on the card after it was spooled (one byte in the middle of its pixels) is sent up to its last fragment,
    /// the sum found wrong, the association aborted: Orthanc never completes it, the entry is quarantined with the
    /// reason, and the next object goes on a new association. Converted for a PACS that takes only Implicit VR
    /// (storescp +xi) the file is checked whole first and not one of its bytes leaves.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_payload_damaged_in_the_spool_is_aborted_before_its_last_fragment_quarantined_and_never_stored(bool converted)
    {
        using var orthanc = converted ? null : new OrthancPeer();
        using var storescp = converted ? new DcmtkStoreScp(extraArgs: ["+xi"]) : null;
        var spool = NewSpool();
        var events = new List<SpoolEvent>();
        spool.Changed += e => { lock (events) events.Add(e); };
        var damaged = EnqueueLarge(spool, 4 << 20);
        var payload = spool.PayloadPath(spool.Entries.Single().Id);
        using (var f = new FileStream(payload, FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = f.Length / 2;
            var b = f.ReadByte();
            f.Position = f.Length / 2;
            f.WriteByte((byte)(b ^ 0x10));
        }
        var good = EnqueueLarge(spool, 1 << 20);
        var destination = converted ? To(storescp!.Port) : To(orthanc!.DicomPort, ae: orthanc.AeTitle);
        var forwarder = new Forwarder(spool, [destination]);
        using var stop = new CancellationTokenSource();
        var run = forwarder.RunAsync(stop.Token);
        await Until(() => spool.Entries.Count == 0, TimeSpan.FromSeconds(30), () => $"{spool.Entries.Count} still spooled");
        await stop.CancelAsync();
        await run;
        lock (events)
            Assert.Contains(events, e => e.Kind == SpoolEvent.Quarantined && e.Detail!.StartsWith("checksum mismatch: stored ", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(spool.QuarantineDir, Path.GetFileName(payload))));
        var stored = converted
            ? storescp!.ReceivedFiles.Select(f => DicomFile.Open(f).Dataset.GetString(DicomTags.SOPInstanceUID)).ToList()
            : [.. orthanc!.InstancesBySopInstanceUid().Keys];
        Assert.Equal([good], stored);
        Assert.DoesNotContain(damaged, stored);
    }

    private string EnqueueLarge(DurableSpool spool, int pixelBytes)
    {
        var ds = new DicomDataset();
        ds.Set(DicomTags.SOPClassUID, DicomVR.UI, DicomUids.SecondaryCaptureImageStorage);
        var uid = DicomUidGenerator.Default.NewUid();
        ds.Set(DicomTags.SOPInstanceUID, uid);
        ds.Set(DicomTags.StudyInstanceUID, DicomUidGenerator.Default.NewUid());
        ds.Set(DicomTags.SeriesInstanceUID, DicomUidGenerator.Default.NewUid());
        ds.Set(DicomTags.Modality, "OT");
        ds.Set(DicomTags.PatientID, "FWD-1");
        ds.Set(DicomTags.PatientName, "Test^Forward");
        var pixels = new byte[pixelBytes];
        new Random(pixelBytes).NextBytes(pixels);
        ds.SetBytes(DicomTags.PixelData, DicomVR.OB, DicomBuffer.From(pixels));
        var file = Path.Combine(_dir.Path, uid + ".dcm");
        new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Save(file);
        spool.Enqueue(file, new SpoolObjectInfo(DicomUids.SecondaryCaptureImageStorage, uid, "OT", "test"), ["PACS"]);
        return uid;
    }

    [Fact]
    public async Task Objects_are_forwarded_to_storescp_and_leave_the_spool()
    {
        using var scp = new DcmtkStoreScp();
        var spool = NewSpool();
        var uids = Enqueue(spool, 20, ["PACS"]);
        var forwarder = new Forwarder(spool, [To(scp.Port)]);
        using var stop = new CancellationTokenSource();
        var run = forwarder.RunAsync(stop.Token);
        await Until(() => spool.Entries.Count == 0, TimeSpan.FromSeconds(30), () => $"{spool.Entries.Count} still spooled");
        await stop.CancelAsync();
        await run;
        var received = scp.ReceivedFiles.Select(f => DicomFile.Open(f).Dataset.GetString(DicomTags.SOPInstanceUID)).ToHashSet();
        Assert.True(uids.ToHashSet().SetEquals(received));
    }

    [Fact]
    public async Task Objects_wait_while_the_PACS_is_down_and_all_arrive_when_it_comes_up()
    {
        var port = FreePort.Get();
        var spool = NewSpool();
        var uids = Enqueue(spool, 10, ["PACS"]);
        var forwarder = new Forwarder(spool, [To(port)]);
        using var stop = new CancellationTokenSource();
        var run = forwarder.RunAsync(stop.Token);
        await Until(() => spool.Entries.Any(e => e.Deliveries["PACS"].Attempts >= 2), TimeSpan.FromSeconds(20), () => "no retries while down");
        Assert.Contains("connection refused", spool.Entries.First().Deliveries["PACS"].LastError);
        Assert.Equal(10, spool.Entries.Count);

        var scp = new DcmtkStoreScpOnPort(port);
        await Until(() => spool.Entries.Count == 0, TimeSpan.FromSeconds(30), () => $"{spool.Entries.Count} still spooled after the PACS came up");
        await stop.CancelAsync();
        await run;
        Assert.Equal(uids.Count, scp.Inner.ReceivedFiles.Count);
        scp.Inner.Dispose();
    }

    /// <summary>
    /// Issue #22: after an outage the queue drains oldest first. Three objects meet a PACS that is down for long enough
    /// for their back-off to grow to its cap, three more arrive while it is still down (no failed attempt yet: under
    /// per-entry back-offs they would be due first); storescp, started on the port the forwarder was trying, logs the
    /// order it stored them in — the order they were acquired. While the destination cannot be reached only one attempt
    /// is made per back-off, whatever the queue holds.
    /// </summary>
    [Fact]
    public async Task After_an_outage_the_PACS_receives_the_objects_in_the_order_they_were_spooled()
    {
        var port = FreePort.Get();
        var spool = NewSpool();
        var uids = Enqueue(spool, 3, ["PACS"]);
        var forwarder = new Forwarder(spool, [To(port)]);
        using var stop = new CancellationTokenSource();
        var run = forwarder.RunAsync(stop.Token);
        // RetryMin 200 ms doubling to the 1 s cap: five failures take ~2 s; all of them were the oldest entry's.
        await Until(() => spool.Entries.Sum(e => e.Deliveries["PACS"].Attempts) >= 5, TimeSpan.FromSeconds(20), () => "no retries while down");
        var attempts = uids.Select(u => spool.Entries.Single(e => e.SopInstanceUid == u).Deliveries["PACS"].Attempts).ToList();
        Assert.True(attempts[0] >= 5 && attempts[1] == 0 && attempts[2] == 0, "one attempt per back-off while unreachable: " + string.Join(", ", attempts));
        Assert.Contains("connection refused", spool.Entries.Single(e => e.SopInstanceUid == uids[0]).Deliveries["PACS"].LastError);
        var later = Enqueue(spool, 3, ["PACS"]);
        uids.AddRange(later);
        await Task.Delay(300);
        Assert.All(later, u => Assert.Equal(0, spool.Entries.Single(e => e.SopInstanceUid == u).Deliveries["PACS"].Attempts));

        using var scp = new DcmtkStoreScp(port: port, extraArgs: ["-v"]);
        List<string> Stored() => [.. System.Text.RegularExpressions.Regex.Matches(scp.Output, @"storing DICOM file: \S*?SC\.(\S+)").Select(m => m.Groups[1].Value)];
        // storescp's lines are read from its pipe later than its answers emptied the spool: waited for too.
        await Until(() => spool.Entries.Count == 0 && Stored().Count >= uids.Count, TimeSpan.FromSeconds(30),
            () => $"{spool.Entries.Count} still spooled after the PACS came up; storescp: {scp.Output}");
        await stop.CancelAsync();
        await run;
        var stored = Stored();
        Assert.Equal(uids, stored);
    }

    /// <summary>storescp on a given port (the one the forwarder was already trying).</summary>
    private sealed record DcmtkStoreScpOnPort(int Port)
    {
        public DcmtkStoreScp Inner { get; } = new(port: Port);
    }

    [Fact]
    public async Task A_refused_SOP_class_is_dead_lettered_with_the_reason_and_the_others_keep_flowing()
    {
        using var scp = new DcmtkStoreScp();
        var spool = NewSpool();
        var good = Enqueue(spool, 3, ["PACS"]);
        Enqueue(spool, 1, ["PACS"], sopClass: "1.2.826.0.1.3680043.10.999.1");
        good.AddRange(Enqueue(spool, 3, ["PACS"]));
        var forwarder = new Forwarder(spool, [To(scp.Port)]);
        using var stop = new CancellationTokenSource();
        var run = forwarder.RunAsync(stop.Token);
        await Until(() => spool.Entries.Count == 1 && spool.Entries[0].HasDeadLetters, TimeSpan.FromSeconds(30), () => string.Join("; ", spool.Entries.Select(e => e.Deliveries["PACS"])));
        var dead = spool.Entries.Single().Deliveries["PACS"];
        Assert.Equal(DeliveryState.Dead, dead.State);
        Assert.Contains("SOP class not supported", dead.LastError);
        Assert.Equal(good.Count, scp.ReceivedFiles.Count);
        // `gateway spool retry` puts it back; it fails the same way and is dead again.
        Assert.Equal(1, spool.Retry());
        forwarder.WakeAll();
        await Until(() => spool.Entries.Single().Deliveries["PACS"].Attempts == 2, TimeSpan.FromSeconds(30), () => "retry not attempted");
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public void Routing_sends_each_object_where_its_filters_say()
    {
        var spool = NewSpool();
        var pacs = To(1) with { Route = new RouteFilter { Modalities = ["DX", "CR"] } };
        var archive = To(2, "ARCHIVE");
        var forwarder = new Forwarder(spool, [pacs, archive]);
        Assert.Equal(["PACS", "ARCHIVE"], forwarder.Route(new SpoolObjectInfo(DicomUids.DigitalXRayImageStorageForPresentation, "1", "DX", "detector")));
        Assert.Equal(["ARCHIVE"], forwarder.Route(new SpoolObjectInfo(DicomUids.SecondaryCaptureImageStorage, "2", "OT", "folder")));
    }

    /// <summary>The real file system, except that while <see cref="Full"/> every write fails as ENOSPC would.</summary>
    private sealed class FillableFileSystem : ISpoolFileSystem
    {
        private readonly LocalFileSystem _real = LocalFileSystem.Instance;
        public volatile bool Full;
        public int Refused;

        private void Check()
        {
            if (Full)
            {
                Interlocked.Increment(ref Refused);
                throw new IOException("No space left on device");
            }
        }

        // The file is created, then its fsync fails: the spool must remove what it half-wrote.
        public Stream Create(string path) => _real.Create(path);

        public Stream OpenRead(string path) => _real.OpenRead(path);

        public void FlushToDisk(Stream stream)
        {
            Check();
            _real.FlushToDisk(stream);
        }

        public void Move(string source, string destination) => _real.Move(source, destination);
        public void FlushDirectory(string directory) => _real.FlushDirectory(directory);
        public void Delete(string path) => _real.Delete(path);
        public bool Exists(string path) => _real.Exists(path);
        public IEnumerable<string> List(string directory, string pattern) => _real.List(directory, pattern);
        public void CreateDirectory(string path) => _real.CreateDirectory(path);
        public long Length(string path) => _real.Length(path);
        public long AvailableBytes(string directory) => Full ? 0 : _real.AvailableBytes(directory);
    }

    [Fact]
    public async Task A_full_disk_while_the_PACS_is_down_does_not_stop_forwarding_for_good()
    {
        // Issue #13 item 5: MarkRetry could not write its state file, the IOException ended the worker, and nothing
        // was sent again until a restart. Now the worker logs, backs off and goes on; no half-written state is left.
        var fs = new FillableFileSystem();
        var spool = new DurableSpool(new SpoolOptions { Directory = Path.Combine(_dir.Path, "spool"), MinFreeBytes = 0 }, fs);
        spool.Recover();
        var uids = Enqueue(spool, 1, ["PACS"]);
        var port = FreePort.Get();
        var logger = new Gateway.Testing.ListLogger();
        var forwarder = new Forwarder(spool, [To(port)], logger: logger);
        using var stop = new CancellationTokenSource();
        var run = forwarder.RunAsync(stop.Token);
        await Until(() => spool.Entries.Single().Deliveries["PACS"].Attempts >= 1, TimeSpan.FromSeconds(20), () => "no first attempt");
        fs.Full = true;
        await Until(() => fs.Refused >= 2, TimeSpan.FromSeconds(20), () => "the worker never tried to write while the disk was full");
        Assert.Contains(logger.Lines, l => l.Contains("No space left on device", StringComparison.Ordinal) && l.Contains("[2005]", StringComparison.Ordinal));
        Assert.False(run.IsCompleted, "the forwarder stopped");
        fs.Full = false;
        var scp = new DcmtkStoreScpOnPort(port);
        await Until(() => spool.Entries.Count == 0, TimeSpan.FromSeconds(30), () => $"{spool.Entries.Count} still spooled after the disk was freed and the PACS came up");
        await stop.CancelAsync();
        await run;
        Assert.Equal(uids, scp.Inner.ReceivedFiles.Select(f => DicomFile.Open(f).Dataset.GetString(DicomTags.SOPInstanceUID)).Distinct());
        spool.FlushDeletions(); // the delivered entries' renamed state files go with it
        Assert.Empty(Directory.GetFiles(spool.TempDir)); // nothing the refused writes began is left behind
        scp.Inner.Dispose();
    }
}
