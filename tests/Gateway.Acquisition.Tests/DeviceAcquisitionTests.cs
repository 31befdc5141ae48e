using System.Device.Gpio;
using System.Security.Cryptography;
using Gateway.Acquisition.Sessions;
using Gateway.Dicom;
using Gateway.Dicom.Imaging;
using Gateway.Hardware.Framing;
using Gateway.Hardware.Gpio;
using Gateway.Hardware.Profiles;
using Gateway.Hardware.Serial;
using Gateway.Hardware.Simulation;
using Gateway.Spool;
using Gateway.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Acquisition.Tests;

/// <summary>
/// Issue #6 acceptance, end to end through a real serial link (a socat pty pair): the simulator plays the device on
/// one end, the gateway's device runtime reads the other, and what lands in the spool is judged by dciodvfy.
/// </summary>
public sealed class DeviceAcquisitionTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new("acq");

    public void Dispose() => _temp.Dispose();

    private static DeviceProfile Profile(string name) => ProfileLoader.Load(Path.Combine(Repository.Root, "hardware", "profiles", name + ".json"));

    private DurableSpool Spool()
    {
        var spool = new DurableSpool(new SpoolOptions { Directory = _temp.File("spool"), MinFreeBytes = 0 });
        spool.Recover();
        return spool;
    }

    private static (AcquisitionSession Session, DeviceRuntime Runtime) Start(DeviceProfile profile, DurableSpool spool, DeviceSeams? seams = null)
    {
        var session = new AcquisitionSession(profile, spool, _ => ["pacs"], new ExamContext(), NullLogger.Instance);
        return (session, new DeviceRuntime(profile, session, NullLoggerFactory.Instance, seams));
    }

    private static void WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException(what);
            Thread.Sleep(20);
        }
    }

    private static string PixelHash(string path) =>
        Convert.ToHexString(SHA256.HashData(DicomFile.Open(path).Dataset.GetBuffer(DicomTags.PixelData).Memory.Span));

    [Fact]
    public async Task Fifty_frames_with_line_noise_and_every_seventh_corrupted_make_exactly_fifty_valid_objects()
    {
        using var cable = new SocatPair(_temp.Path);
        var profile = Profile("fpd-1417-usb") with { Gpio = null };
        profile = profile with { Serial = profile.Serial! with { Device = cable.GatewayEnd } };
        var spool = Spool();
        var (session, runtime) = Start(profile, spool);
        using var _ = runtime;
        using var stop = new CancellationTokenSource();
        var running = runtime.RunAsync(stop.Token);
        var log = new StringWriter();
        var simulator = new DeviceSimulator(profile, new SystemSerialPortOpener(profile.Serial with { Device = cable.DeviceEnd }),
            new SimulatorOptions { Frames = 50, Noise = true, CorruptEvery = 7 }, TextWriter.Synchronized(log));
        await simulator.RunAsync(stop.Token).WaitAsync(TimeSpan.FromMinutes(2));
        output.WriteLine(log.ToString());
        WaitUntil(() => session.Acquired == 50, TimeSpan.FromSeconds(10), "50 objects");
        await stop.CancelAsync();
        await running;

        Assert.Equal(50, simulator.Acknowledged);
        Assert.Equal(7, simulator.Resent); // frames 7, 14 … 49: NAK'd once each, resent
        Assert.Equal(7, runtime.FrameStats!.ChecksumFailures);
        Assert.True(runtime.FrameStats.GarbageBytes >= 50, "the noise before every frame was skipped");
        var entries = spool.Entries;
        Assert.Equal(50, entries.Count);
        var image = new ImageFormat(512, 512, 1, 16, 14);
        var expected = Enumerable.Range(1, 50).Select(n => Convert.ToHexString(SHA256.HashData(DeviceSimulator.Pixels(image, n)))).ToHashSet();
        foreach (var entry in entries)
        {
            var path = spool.PayloadPath(entry.Id);
            Assert.Empty(Dciodvfy.Errors(path));
            var ds = DicomFile.Open(path).Dataset;
            Assert.Equal("125", ds.GetString(DicomTags.KVP));
            Assert.Equal("3200", ds.GetString(DicomTags.ExposureInuAs));
            Assert.Equal(DicomUids.DigitalXRayImageStorageForPresentation, ds.GetString(DicomTags.SOPClassUID));
            Assert.True(expected.Remove(PixelHash(path)), "an object whose pixels are no frame the device sent (or a frame stored twice)");
        }
        Assert.Empty(expected);
        Assert.Single(entries.Select(e => DicomFile.Open(spool.PayloadPath(e.Id)).Dataset.GetString(DicomTags.SeriesInstanceUID)).Distinct());
    }

    [Fact]
    public async Task Pulling_the_cable_mid_stream_loses_no_frame_and_stores_none_twice_or_half()
    {
        using var cable = new SocatPair(_temp.Path);
        var profile = Profile("fpd-1417-usb") with { Gpio = null };
        profile = profile with { Serial = profile.Serial! with { Device = cable.GatewayEnd, ReopenMs = 100 } };
        var spool = Spool();
        var (session, runtime) = Start(profile, spool);
        using var _ = runtime;
        var states = new List<LinkState>();
        runtime.LinkChanged += s => { lock (states) states.Add(s); };
        using var stop = new CancellationTokenSource();
        var running = runtime.RunAsync(stop.Token);
        var log = new StringWriter();
        var simulator = new DeviceSimulator(profile, new SystemSerialPortOpener(profile.Serial with { Device = cable.DeviceEnd }),
            new SimulatorOptions { Frames = 30 }, TextWriter.Synchronized(log));
        var playing = simulator.RunAsync(stop.Token);

        WaitUntil(() => session.Acquired >= 8, TimeSpan.FromSeconds(30), "8 objects before the unplug");
        cable.Unplug();
        WaitUntil(() => runtime.Link == LinkState.Disconnected, TimeSpan.FromSeconds(10), "the gateway to notice the unplug");
        await Task.Delay(500);
        cable.Plug();
        await playing.WaitAsync(TimeSpan.FromMinutes(2));
        WaitUntil(() => session.Acquired == 30, TimeSpan.FromSeconds(10), "30 objects");
        await stop.CancelAsync();
        await running;
        output.WriteLine(log.ToString());

        lock (states)
            Assert.Equal([LinkState.Connected, LinkState.Disconnected, LinkState.Connected], states);
        var image = new ImageFormat(512, 512, 1, 16, 14);
        var expected = Enumerable.Range(1, 30).Select(n => Convert.ToHexString(SHA256.HashData(DeviceSimulator.Pixels(image, n)))).ToHashSet();
        Assert.Equal(30, spool.Entries.Count);
        foreach (var entry in spool.Entries)
            Assert.True(expected.Remove(PixelHash(spool.PayloadPath(entry.Id))));
        Assert.Empty(expected);
        // Nothing half-written left behind (the device's last-frame memory is meant to stay).
        Assert.Equal([AcquisitionSession.FrameMemoryFile], Directory.GetFiles(spool.IncomingDir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_bouncing_foot_switch_captures_one_frame_and_the_lights_follow_ready_busy_ready_then_error_on_unplug()
    {
        using var cable = new SocatPair(_temp.Path);
        var profile = Profile("endoscope-footswitch");
        profile = profile with { Serial = profile.Serial! with { Device = cable.GatewayEnd, ReopenMs = 100 } };
        var spool = Spool();
        var gpio = new FakeGpioDriver();
        var (session, runtime) = Start(profile, spool, new DeviceSeams { Gpio = gpio });
        using var _ = runtime;
        using var stop = new CancellationTokenSource();
        var running = runtime.RunAsync(stop.Token);
        var simulator = new DeviceSimulator(profile, new SystemSerialPortOpener(profile.Serial with { Device = cable.DeviceEnd }),
            new SimulatorOptions { Frames = 0 }, TextWriter.Null);
        var playing = simulator.RunAsync(stop.Token);
        WaitUntil(() => runtime.Panel == PanelState.Ready, TimeSpan.FromSeconds(10), "ready once the processor is connected");

        // One press with 6 ms of contact bounce.
        for (var i = 0; i < 6; i++)
        {
            gpio.Drive(17, i % 2 == 0 ? PinValue.Low : PinValue.High);
            Thread.Sleep(1);
        }
        gpio.Drive(17, PinValue.Low);
        WaitUntil(() => session.Acquired == 1, TimeSpan.FromSeconds(10), "the captured frame");
        await Task.Delay(300);
        Assert.Equal(1, session.Acquired);
        // The lights follow the session's event, raised after the count went up: waited for, not assumed by now.
        WaitUntil(() => runtime.Panel == PanelState.Ready, TimeSpan.FromSeconds(10), "ready after the capture");

        cable.Unplug();
        WaitUntil(() => runtime.Panel == PanelState.Error, TimeSpan.FromSeconds(10), "error on disconnect");
        await stop.CancelAsync();
        await running;
        await playing;

        // The lights as the lines saw them: (ready, busy, error) after each change.
        var lines = new Dictionary<int, PinValue>();
        var shown = new List<string>();
        foreach (var (pin, value) in gpio.Writes)
        {
            lines[pin] = value;
            if (lines.Count == 3 && pin == 24)
                shown.Add(lines[22] == PinValue.High ? "ready" : lines[23] == PinValue.High ? "busy" : lines[24] == PinValue.High ? "error" : "off");
        }
        Assert.Equal(["off", "error", "ready", "busy", "ready", "error"], shown);
        var entry = Assert.Single(spool.Entries);
        Assert.Empty(Dciodvfy.Errors(spool.PayloadPath(entry.Id)));
        Assert.Equal(DicomUids.VLEndoscopicImageStorage, entry.SopClassUid);
    }

    [Fact]
    public async Task A_9600_baud_exam_report_fills_the_next_image_from_the_watch_folder()
    {
        using var cable = new SocatPair(_temp.Path);
        var folder = Directory.CreateDirectory(_temp.File("import")).FullName;
        var profile = Profile("legacy-xray-rs232");
        profile = profile with
        {
            Serial = profile.Serial! with { Device = cable.GatewayEnd },
            WatchFolder = profile.WatchFolder! with { Path = folder, StableMs = 200, PollMs = 50 },
        };
        var spool = Spool();
        var (session, runtime) = Start(profile, spool);
        using var _ = runtime;
        using var stop = new CancellationTokenSource();
        var running = runtime.RunAsync(stop.Token);
        var simulator = new DeviceSimulator(profile, new SystemSerialPortOpener(profile.Serial with { Device = cable.DeviceEnd }),
            new SimulatorOptions { Frames = 1 }, TextWriter.Null);
        await simulator.RunAsync(stop.Token);
        WaitUntil(() => session.PendingDeviceValues.Count == 5, TimeSpan.FromSeconds(10), "the report to be read");

        // The console exports a 16-bit PGM (12 bits used).
        var pgm = System.Text.Encoding.ASCII.GetBytes("P5\n64 48\n4095\n").Concat(Enumerable.Range(0, 64 * 48).SelectMany(i => new[] { (byte)(i % 4096 >> 8), (byte)i })).ToArray();
        await File.WriteAllBytesAsync(Path.Combine(folder, "exposure-001.pgm"), pgm);
        WaitUntil(() => session.Acquired == 1, TimeSpan.FromSeconds(10), "the image to be imported");
        await stop.CancelAsync();
        await running;

        var path = spool.PayloadPath(Assert.Single(spool.Entries).Id);
        Assert.Empty(Dciodvfy.Errors(path));
        var ds = DicomFile.Open(path).Dataset;
        Assert.Equal("123456", ds.GetString(DicomTags.PatientID));
        Assert.Equal("DOE^JOHN", ds.GetString(DicomTags.PatientName));
        Assert.Equal("A2026-0042", ds.GetString(DicomTags.AccessionNumber));
        Assert.Equal("70", ds.GetString(DicomTags.KVP));
        Assert.Equal("12500", ds.GetString(DicomTags.ExposureInuAs));
        Assert.Equal(12, ds.GetInt(DicomTags.BitsStored));
        Assert.Empty(session.PendingDeviceValues); // used by this image, not carried into the next
        Assert.True(File.Exists(Path.Combine(folder, "done", "exposure-001.pgm")));
    }
}

/// <summary>A multi-frame series whose frames were acknowledged but whose object was not written when the process died.</summary>
public sealed class MultiFrameRecoveryTests : IDisposable
{
    private readonly TempDirectory _temp = new("mf-recovery");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Acknowledged_frames_of_an_unfinished_series_become_their_object_at_the_next_start_with_the_exam_they_were_taken_with()
    {
        var profile = ProfileLoader.Load(Path.Combine(Repository.Root, "hardware", "profiles", "fpd-1417-usb.json"));
        profile = profile with { Gpio = null, Output = profile.Output with { Iod = "sc-mf-gray16", Grouping = "multi-frame", Attributes = null } };
        Assert.Empty(ProfileLoader.Validate(profile));
        var spool = new DurableSpool(new SpoolOptions { Directory = _temp.File("spool"), MinFreeBytes = 0 });
        spool.Recover();
        var exam = new ExamContext();
        var patient = new DicomDataset();
        patient.Set(DicomTags.PatientID, "BEFORE-CRASH");
        exam.Set(patient);
        var image = new ImageFormat(32, 16, 1, 16, 14);
        var frames = Enumerable.Range(1, 3).Select(n => DeviceSimulator.Pixels(image, n)).ToList();
        var first = new AcquisitionSession(profile, spool, _ => ["pacs"], exam, NullLogger.Instance);
        foreach (var (pixels, n) in frames.Select((p, i) => (p, i + 1)))
            Assert.Null(first.Store(new DecodedFrame(n, image, pixels, [new("KVP", "81")])));
        first.Dispose(); // the process dies here: frames acknowledged, no object yet
        Assert.Empty(spool.Entries);

        var after = new DicomDataset();
        after.Set(DicomTags.PatientID, "NEXT-PATIENT");
        exam.Set(after);
        using var second = new AcquisitionSession(profile, spool, _ => ["pacs"], exam, NullLogger.Instance);
        Assert.Equal(1, second.RecoverCollectedSeries());
        var path = spool.PayloadPath(Assert.Single(spool.Entries).Id);
        Assert.Empty(Dciodvfy.Errors(path));
        var ds = DicomFile.Open(path).Dataset;
        Assert.Equal(3, ds.GetInt(DicomTags.NumberOfFrames));
        Assert.Equal("BEFORE-CRASH", ds.GetString(DicomTags.PatientID));
        Assert.Equal("81", ds.GetString(DicomTags.KVP));
        Assert.Equal(frames.SelectMany(f => f).ToArray(), ds.GetBuffer(DicomTags.PixelData).Memory.ToArray());
        Assert.Empty(Directory.GetFiles(spool.IncomingDir));
        Assert.Equal(0, second.RecoverCollectedSeries());
    }
}
