using Gateway.Acquisition.Sessions;
using Gateway.Dicom;
using Gateway.Dicom.Imaging;
using Gateway.Hardware.Framing;
using Gateway.Hardware.Profiles;
using Gateway.Hardware.Serial;
using Gateway.Hardware.Simulation;
using Gateway.Hardware.Text;
using Gateway.Spool;
using Gateway.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Gateway.Acquisition.Tests;

/// <summary>Issue #13, acquisition: regression tests named after the defects found from outside.</summary>
public sealed class IntegrityRegressionTests : IDisposable
{
    private readonly TempDirectory _temp = new("integrity");

    public void Dispose() => _temp.Dispose();

    private static DeviceProfile Profile(string name) => ProfileLoader.Load(Path.Combine(Repository.Root, "hardware", "profiles", name + ".json"));

    private DurableSpool Spool()
    {
        var spool = new DurableSpool(new SpoolOptions { Directory = _temp.File("spool"), MinFreeBytes = 0 });
        spool.Recover();
        return spool;
    }

    private static DicomDataset Object(DurableSpool spool, SpoolEntry entry) => DicomFile.Open(spool.PayloadPath(entry.Id)).Dataset;

    /// <summary>The gateway's receiver on one end of an in-memory cable, the test as the device on the other.</summary>
    private sealed class Bench : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _running;
        private readonly Stream _device;
        private readonly FrameFormat _format;

        public Bench(DeviceProfile profile, AcquisitionSession session)
        {
            var cable = new InMemorySerialPair();
            var link = new SerialLink(cable.GatewayEnd, profile.Serial!, NullLogger.Instance);
            _format = new FrameFormat(profile.Frames!);
            Receiver = new FrameReceiver(_format, link, session, NullLogger.Instance, memoryPath: session.FrameMemoryPath);
            _running = link.RunAsync(Receiver, _stop.Token);
            _device = cable.DeviceEnd.Open(TimeSpan.FromSeconds(10));
        }

        public FrameReceiver Receiver { get; }

        /// <summary>Sends one frame and returns the gateway's answer byte (ACK 06 / NAK 15).</summary>
        public byte Send(ImageFormat image, byte[] pixels, long number, double kv10 = 700)
        {
            _device.Write(FrameEncoder.Encode(_format, image, pixels, number, new Dictionary<string, double> { ["kv10"] = kv10, ["exposureUas"] = 1000 }));
            var answer = new byte[1];
            Assert.Equal(1, _device.Read(answer));
            return answer[0];
        }

        public void Dispose()
        {
            _stop.Cancel();
            _device.Dispose();
            try
            {
                _running.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
            }
            _stop.Dispose();
        }
    }

    private static readonly ImageFormat Small = new(32, 16, 1, 16, 14);

    [Fact]
    public void A_new_exposure_that_repeats_the_frame_number_is_stored_and_a_byte_identical_resend_is_not_even_after_a_restart()
    {
        var profile = Profile("fpd-1417-usb") with { Gpio = null };
        var spool = Spool();
        var session = new AcquisitionSession(profile, spool, _ => ["pacs"], new ExamContext(), NullLogger.Instance);
        using (var bench = new Bench(profile, session))
        {
            Assert.Equal(0x06, bench.Send(Small, DeviceSimulator.Pixels(Small, 1), 1));
            // The detector's counter restarts for the next single-image study: frame 1 again, another exposure.
            Assert.Equal(0x06, bench.Send(Small, DeviceSimulator.Pixels(Small, 2), 1));
            Assert.Equal(2, spool.Entries.Count);
            // Our ACK was lost: the device resends the same frame byte for byte.
            Assert.Equal(0x06, bench.Send(Small, DeviceSimulator.Pixels(Small, 2), 1));
            Assert.Equal(2, spool.Entries.Count);
            Assert.Equal(1, bench.Receiver.Duplicates);
            // Same number, same pixels, another kVp: another exposure.
            Assert.Equal(0x06, bench.Send(Small, DeviceSimulator.Pixels(Small, 2), 1, kv10: 810));
            Assert.Equal(3, spool.Entries.Count);
        }
        session.Dispose();

        // The process died after storing frame 1 (kVp 81) and before the device heard ACK: after the restart the resend
        // is recognised from the memory on disk.
        var again = new AcquisitionSession(profile, spool, _ => ["pacs"], new ExamContext(), NullLogger.Instance);
        using (var bench = new Bench(profile, again))
        {
            Assert.Equal(0x06, bench.Send(Small, DeviceSimulator.Pixels(Small, 2), 1, kv10: 810));
            Assert.Equal(3, spool.Entries.Count);
            Assert.Equal(1, bench.Receiver.Duplicates);
        }
        again.Dispose();
        Assert.Equal(3, spool.Entries.Select(e => Object(spool, e).GetString(DicomTags.SOPInstanceUID)).Distinct().Count());
    }

    [Fact]
    public void A_resend_after_a_crash_between_the_commit_and_the_memory_file_is_recognised_from_the_spool_entry()
    {
        var profile = Profile("fpd-1417-usb") with { Gpio = null };
        var spool = Spool();
        var session = new AcquisitionSession(profile, spool, _ => ["pacs"], new ExamContext(), NullLogger.Instance);
        using (var bench = new Bench(profile, session))
            Assert.Equal(0x06, bench.Send(Small, DeviceSimulator.Pixels(Small, 5), 5));
        session.Dispose();
        File.Delete(session.FrameMemoryPath); // the process died after the spool commit, before the memory file
        // As the service does at start, before the forwarder may deliver (and delete) the entry.
        using var again = new AcquisitionSession(profile, spool, _ => ["pacs"], new ExamContext(), NullLogger.Instance)
        {
            KeyAtStart = AcquisitionSession.NewestKey(spool, "device:" + profile.Name),
        };
        using var resend = new Bench(profile, again);
        Assert.Equal(0x06, resend.Send(Small, DeviceSimulator.Pixels(Small, 5), 5));
        Assert.Single(spool.Entries);
        Assert.Equal(1, resend.Receiver.Duplicates);
    }

    [Fact]
    public void A_corrupt_frame_memory_file_is_ignored_and_frames_are_stored()
    {
        var profile = Profile("fpd-1417-usb") with { Gpio = null };
        var spool = Spool();
        using var session = new AcquisitionSession(profile, spool, _ => ["pacs"], new ExamContext(), NullLogger.Instance);
        File.WriteAllText(session.FrameMemoryPath, "{\"Number\": 1, \"Content\": \"\\u0000not a hash\"");
        using var bench = new Bench(profile, session);
        Assert.Equal(0x06, bench.Send(Small, DeviceSimulator.Pixels(Small, 1), 1));
        Assert.Single(spool.Entries);
    }

    [Theory]
    [InlineData(856, "85.6")]
    [InlineData(700, "70")]
    [InlineData(1, "0.1")]
    [InlineData(1234, "123.4")]
    [InlineData(65535, "6553.5")]
    public void Kvp_scaled_by_a_tenth_is_the_exact_decimal_and_is_never_left_out(int kv10, string kvp)
    {
        // Issue #13 item 2: 856 × 0.1 in binary floating point is 85.60000000000001 — 17 characters, too long for DS.
        var profile = Profile("fpd-1417-usb") with { Gpio = null };
        var spool = Spool();
        using var session = new AcquisitionSession(profile, spool, _ => ["pacs"], new ExamContext(), NullLogger.Instance);
        using var bench = new Bench(profile, session);
        Assert.Equal(0x06, bench.Send(Small, DeviceSimulator.Pixels(Small, 1), 1, kv10));
        Assert.Equal(kvp, Object(spool, Assert.Single(spool.Entries)).GetString(DicomTags.KVP));
        Assert.Empty(Dciodvfy.Errors(spool.PayloadPath(spool.Entries[0].Id)));
    }

    [Theory]
    [InlineData("85.6", 1.0, "KVP", "85.6")]
    [InlineData("856", 0.1, "KVP", "85.6")]
    [InlineData("12.5", 1000.0, "ExposureInuAs", "12500")]
    [InlineData("0.3333333333333333333", 1.0, "KVP", "0.33333333333333")]
    [InlineData("123456789012.345678", 1.0, "KVP", "123456789012.346")]
    [InlineData("7", 3.0, "ExposureInuAs", "21")]
    public void Scaled_values_are_the_shortest_exact_decimal_that_fits_the_vr(string raw, double scale, string keyword, string expected)
    {
        var value = ScaledValue.Format(decimal.Parse(raw, System.Globalization.CultureInfo.InvariantCulture), scale, keyword);
        Assert.Equal(expected, value);
        Assert.True(value.Length <= 16);
    }

    [Fact]
    public void A_scaled_text_report_value_is_the_exact_decimal()
    {
        var parser = new TextReportParser(new TextProtocolSettings { Fields = [new TextField { Pattern = "^KV10=(.*)$", Keyword = "KVP", Scale = 0.1 }] });
        var events = new List<TextEvent>();
        parser.Feed("KV10=856\r\n"u8, events);
        Assert.Equal("85.6", Assert.IsType<TextValue>(Assert.Single(events)).Value.Value);
    }

    [Fact]
    public void Two_reports_with_different_patients_give_two_studies_and_two_series()
    {
        // Issue #13 item 3: legacy console, each report followed by an image, PID changes between them.
        var profile = Profile("fpd-1417-usb") with { Gpio = null };
        var spool = Spool();
        using var session = new AcquisitionSession(profile, spool, _ => ["pacs"], new ExamContext(), NullLogger.Instance);
        session.OnDeviceValue(new DeviceValue("PatientID", "P-1"));
        session.OnDeviceValue(new DeviceValue("PatientName", "First^Patient"));
        Assert.Null(session.Store(new DecodedFrame(1, Small, DeviceSimulator.Pixels(Small, 1), [])));
        session.OnDeviceValue(new DeviceValue("PatientID", "P-2"));
        Assert.Null(session.Store(new DecodedFrame(2, Small, DeviceSimulator.Pixels(Small, 2), [])));
        var objects = spool.Entries.Select(e => Object(spool, e)).ToList();
        Assert.Equal(["P-1", "P-2"], objects.Select(o => o.GetString(DicomTags.PatientID)));
        // The second report named another patient: the first one's name must not leak into its image.
        Assert.Null(objects[1].TryGetString(DicomTags.PatientName) is { Length: > 0 } n ? n : null);
        Assert.Equal(2, objects.Select(o => o.GetString(DicomTags.StudyInstanceUID)).Distinct().Count());
        Assert.Equal(2, objects.Select(o => o.GetString(DicomTags.SeriesInstanceUID)).Distinct().Count());
    }

    [Fact]
    public void The_exams_study_uid_is_used_only_when_the_exam_also_names_the_patient()
    {
        var profile = Profile("fpd-1417-usb") with { Gpio = null };
        var spool = Spool();
        var exam = new ExamContext();
        var ds = new DicomDataset();
        ds.Set(DicomTags.StudyInstanceUID, "2.25.424242");
        exam.Set(ds);
        using var session = new AcquisitionSession(profile, spool, _ => ["pacs"], exam, NullLogger.Instance);
        // A study without its patient: the device's patients each get a study of their own (never two in one study,
        // also not after a restart, when nothing could remember whose the exam's study was).
        session.OnDeviceValue(new DeviceValue("PatientID", "P-1"));
        Assert.Null(session.Store(new DecodedFrame(1, Small, DeviceSimulator.Pixels(Small, 1), [])));
        session.OnDeviceValue(new DeviceValue("PatientID", "P-2"));
        Assert.Null(session.Store(new DecodedFrame(2, Small, DeviceSimulator.Pixels(Small, 2), [])));
        var first = spool.Entries.Select(e => Object(spool, e)).ToList();
        Assert.DoesNotContain(first, o => o.GetString(DicomTags.StudyInstanceUID) == "2.25.424242");
        Assert.Equal(2, first.Select(o => o.GetString(DicomTags.StudyInstanceUID)).Distinct().Count());

        // The exam names both: its study, its patient, whatever the device reports.
        var both = new DicomDataset();
        both.Set(DicomTags.StudyInstanceUID, "2.25.434343");
        both.Set(DicomTags.PatientID, "EXAM-P");
        exam.Set(both);
        session.OnDeviceValue(new DeviceValue("PatientID", "P-3"));
        Assert.Null(session.Store(new DecodedFrame(3, Small, DeviceSimulator.Pixels(Small, 3), [])));
        var last = Object(spool, spool.Entries[^1]);
        Assert.Equal(("EXAM-P", "2.25.434343"), (last.GetString(DicomTags.PatientID), last.GetString(DicomTags.StudyInstanceUID)));
    }

    [Fact]
    public void A_flush_that_fails_at_a_new_patient_seals_the_old_series_and_never_mixes_the_frames()
    {
        // Review of #13: when the spool refused the old series' object at a patient change, the next patient's frame
        // joined the old collection and was delivered under the old patient.
        var profile = Profile("fpd-1417-usb");
        profile = profile with { Gpio = null, Output = profile.Output with { Iod = "sc-mf-gray16", Grouping = "multi-frame", Attributes = null } };
        var spool = new DurableSpool(new SpoolOptions { Directory = _temp.File("spool"), MinFreeBytes = 0, QuotaBytes = 1 });
        spool.Recover();
        using var session = new AcquisitionSession(profile, spool, _ => ["pacs"], new ExamContext(), NullLogger.Instance);
        session.OnDeviceValue(new DeviceValue("PatientID", "P-1"));
        Assert.Null(session.Store(new DecodedFrame(1, Small, DeviceSimulator.Pixels(Small, 1), [])));
        session.OnDeviceValue(new DeviceValue("PatientID", "P-2"));
        // The spool is full (quota): P-1's object cannot be written, but P-2's frame is durable on disk: ACK.
        Assert.Null(session.Store(new DecodedFrame(2, Small, DeviceSimulator.Pixels(Small, 2), [])));
        Assert.Empty(spool.Entries);

        // Room again: the sealed series is written at the next frame, the open one at its end; each with its patient.
        var roomy = new DurableSpool(new SpoolOptions { Directory = _temp.File("spool"), MinFreeBytes = 0 });
        roomy.Recover();
        using var later = new AcquisitionSession(profile, roomy, _ => ["pacs"], new ExamContext(), NullLogger.Instance);
        Assert.Equal(2, later.RecoverCollectedSeries());
        var objects = roomy.Entries.Select(e => Object(roomy, e)).OrderBy(o => o.GetString(DicomTags.PatientID), StringComparer.Ordinal).ToList();
        Assert.Equal(["P-1", "P-2"], objects.Select(o => o.GetString(DicomTags.PatientID)));
        Assert.Equal([1, 1], objects.Select(o => o.GetInt(DicomTags.NumberOfFrames)));
        Assert.Equal(DeviceSimulator.Pixels(Small, 1), objects[0].GetBuffer(DicomTags.PixelData).Memory.ToArray());
        Assert.Equal(DeviceSimulator.Pixels(Small, 2), objects[1].GetBuffer(DicomTags.PixelData).Memory.ToArray());
    }

    [Fact]
    public void A_new_patient_in_the_middle_of_a_multi_frame_series_ends_it_and_keeps_each_patients_frames_apart()
    {
        var profile = Profile("fpd-1417-usb");
        profile = profile with { Gpio = null, Output = profile.Output with { Iod = "sc-mf-gray16", Grouping = "multi-frame", Attributes = null } };
        var spool = Spool();
        using var session = new AcquisitionSession(profile, spool, _ => ["pacs"], new ExamContext(), NullLogger.Instance);
        session.OnDeviceValue(new DeviceValue("PatientID", "P-1"));
        Assert.Null(session.Store(new DecodedFrame(1, Small, DeviceSimulator.Pixels(Small, 1), [])));
        Assert.Null(session.Store(new DecodedFrame(2, Small, DeviceSimulator.Pixels(Small, 2), [])));
        session.OnDeviceValue(new DeviceValue("PatientID", "P-2"));
        Assert.Null(session.Store(new DecodedFrame(3, Small, DeviceSimulator.Pixels(Small, 3), [])));
        Assert.Null(session.EndSeries("test"));
        var objects = spool.Entries.Select(e => Object(spool, e)).ToList();
        Assert.Equal(["P-1", "P-2"], objects.Select(o => o.GetString(DicomTags.PatientID)));
        Assert.Equal([2, 1], objects.Select(o => o.GetInt(DicomTags.NumberOfFrames)));
        Assert.Equal(2, objects.Select(o => o.GetString(DicomTags.StudyInstanceUID)).Distinct().Count());
    }
}
