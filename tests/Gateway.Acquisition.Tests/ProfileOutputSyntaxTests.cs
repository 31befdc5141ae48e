using Gateway.Acquisition.Forwarding;
using Gateway.Acquisition.Sessions;
using Gateway.Dicom;
using Gateway.Dicom.Codecs;
using Gateway.Dicom.Imaging;
using Gateway.Dicom.Network;
using Gateway.Hardware.Profiles;
using Gateway.Hardware.Serial;
using Gateway.Hardware.Simulation;
using Gateway.Spool;
using Gateway.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Gateway.Acquisition.Tests;

/// <summary>
/// Issue #19: a device profile's output.transferSyntax compresses an acquired object before it is spooled; the
/// forwarder sends the compressed bytes as stored, and Orthanc decodes them (its REST preview renders an image).
/// </summary>
public sealed class ProfileOutputSyntaxTests : IDisposable
{
    private readonly TempDirectory _temp = new("profile-ts");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("jpeg-ls")]
    [InlineData("rle")]
    public async Task A_DX_profile_with_a_lossless_output_syntax_spools_its_frames_compressed_and_Orthanc_renders_them(string syntax)
    {
        Assert.True(TransferSyntaxNames.TryParse(syntax, out var ts));
        using var cable = new SocatPair(_temp.Path);
        var shipped = ProfileLoader.Load(Path.Combine(Repository.Root, "hardware", "profiles", "fpd-1417-usb.json"));
        var profile = shipped with { Gpio = null, Serial = shipped.Serial! with { Device = cable.GatewayEnd }, Output = shipped.Output with { TransferSyntax = syntax } };
        Assert.Empty(ProfileLoader.Validate(profile));
        var spool = new DurableSpool(new SpoolOptions { Directory = _temp.File("spool"), MinFreeBytes = 0 });
        spool.Recover();
        var session = new AcquisitionSession(profile, spool, _ => ["orthanc"], new ExamContext(), NullLogger.Instance);
        using var runtime = new DeviceRuntime(profile, session, NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var running = runtime.RunAsync(stop.Token);
        var simulator = new DeviceSimulator(profile, new SystemSerialPortOpener(profile.Serial with { Device = cable.DeviceEnd }),
            new SimulatorOptions { Frames = 2 }, TextWriter.Null);
        await simulator.RunAsync(stop.Token).WaitAsync(TimeSpan.FromMinutes(1));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (session.Acquired < 2 && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        await stop.CancelAsync();
        await running;

        var entries = spool.Entries;
        Assert.Equal(2, entries.Count);
        var image = new ImageFormat(512, 512, 1, 16, 14);
        var expected = new HashSet<string>(Enumerable.Range(1, 2).Select(n => Convert.ToHexString(DeviceSimulator.Pixels(image, n))));
        foreach (var entry in entries)
        {
            var path = spool.PayloadPath(entry.Id);
            Assert.Equal(ts.Uid, DicomFile.OpenHeader(path).TransferSyntax.Uid); // the spool holds the compressed bytes
            Assert.True(new FileInfo(path).Length < image.FrameLength, "the spooled object is not smaller than its pixels");
            Assert.Empty(Dciodvfy.Errors(path));
            var file = DicomFile.Open(path);
            Assert.Equal("00", file.Dataset.TryGetString(DicomTags.LossyImageCompression)); // as built: never lossy
            Assert.True(expected.Remove(Convert.ToHexString(PixelDataTranscoder.ReadFrame(file.Dataset, file.TransferSyntax, 0))), "pixels are no frame the device sent");
        }
        Assert.Empty(expected);

        using var orthanc = new OrthancPeer();
        var destination = new Destination
        {
            Name = "orthanc",
            Client = new DicomClientOptions { Host = "127.0.0.1", Port = orthanc.DicomPort, CalledAE = orthanc.AeTitle },
            RetryMin = TimeSpan.FromMilliseconds(200),
            RetryMax = TimeSpan.FromSeconds(1),
        };
        using var forwarder = new Forwarder(spool, [destination]);
        using var forwarding = new CancellationTokenSource();
        var forwardingRun = forwarder.RunAsync(forwarding.Token);
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (spool.Entries.Count > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        await forwarding.CancelAsync();
        await forwardingRun;
        Assert.Empty(spool.Entries);
        var instances = orthanc.Instances();
        Assert.Equal(2, instances.Count);
        foreach (var id in instances)
        {
            Assert.Equal(ts.Uid, DicomFile.Read(new MemoryStream(orthanc.File(id))).TransferSyntax.Uid); // sent as stored
            var png = orthanc.Preview(id);
            Assert.True(png.Length > 1000 && png.AsSpan(0, 4).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47 }), $"Orthanc's preview of {id} is not an image");
        }
    }
}
