using Gateway.Dicom;
using Gateway.Dicom.Imaging;
using Gateway.Dicom.Iod;
using Gateway.Hardware.Framing;
using Gateway.Hardware.Profiles;
using Gateway.Hardware.WatchFolder;
using Gateway.Spool;
using Microsoft.Extensions.Logging;

namespace Gateway.Acquisition.Sessions;

/// <summary>
/// Frames + device metadata + exam context → IOD → spool. One session is one series: it ends at the end-series
/// trigger, after seriesIdleSeconds without a frame, or when the exam changes. Object per frame, or one multi-frame
/// object per series (frames are collected in an fsync'd file beside the spool, not in memory). A frame is answered
/// "stored" only once its object (or, multi-frame, its pixels) is on disk; the network is never waited for: when the
/// PACS is down the objects wait in the spool. Thread-safe: serial, watch-folder, GPIO and timer threads call in.
/// </summary>
public sealed partial class AcquisitionSession : IFrameSink, IImageSink, IDisposable
{
    private readonly DeviceProfile _profile;
    private readonly IodInfo _iod;
    private readonly DicomDataset _attributes;
    private readonly DurableSpool _spool;
    private readonly Func<SpoolObjectInfo, IReadOnlyList<string>> _route;
    private readonly ExamContext _exam;
    private readonly DicomUidGenerator _uids;
    private readonly string _incoming;
    private readonly string _source;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IodBuilder _builder;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, string> _pending = new(StringComparer.Ordinal);
    private readonly ITimer _idle;
    private bool _recordEnded;
    private SeriesContext? _series;
    private int _seriesNumber;
    private int _examVersion;
    private string? _seriesPatient;
    private bool _warnedStudyWithoutPatient;
    private readonly List<string> _sealed = [];
    private string? _sourceKey;
    private long _lastFrame;
    private MultiFrameFile? _collecting;

    public AcquisitionSession(DeviceProfile profile, DurableSpool spool, Func<SpoolObjectInfo, IReadOnlyList<string>> route, ExamContext exam,
        ILogger logger, DicomUidGenerator? uids = null, TimeProvider? time = null)
    {
        _profile = profile;
        _iod = IodInfo.Find(profile.Output.Iod) ?? throw new ArgumentException($"output.iod '{profile.Output.Iod}' is unknown", nameof(profile));
        _attributes = profile.Output.Attributes is { } a ? MetadataJson.Parse(a.GetRawText(), "output.attributes") : new DicomDataset();
        _spool = spool;
        _route = route;
        _exam = exam;
        _uids = uids ?? DicomUidGenerator.Default;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _builder = new IodBuilder(_time);
        _incoming = spool.IncomingDir;
        Directory.CreateDirectory(_incoming);
        _source = "device:" + profile.Name;
        _idle = _time.CreateTimer(_ => EndSeries("idle"), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Where the device's last stored frame is remembered across restarts (beside the spool, swept by nothing).</summary>
    public string FrameMemoryPath => Path.Combine(_incoming, FrameMemoryFile);

    /// <summary>The file name of <see cref="FrameMemoryPath"/> in spool/incoming.</summary>
    public const string FrameMemoryFile = "device-last-frame.json";

    /// <summary>Raised after every object stored or acquisition that failed (on the caller's thread).</summary>
    public event Action<AcquisitionEvent>? Happened;

    public DateTimeOffset? LastAcquired { get; private set; }
    /// <summary>The spool entry of the newest object (its payload is the thumbnail's source).</summary>
    public string? LastEntryId { get; private set; }
    public long Acquired { get; private set; }
    public long Failures { get; private set; }

    /// <summary>The device's values waiting for the next object (from its last text report).</summary>
    public IReadOnlyDictionary<string, string> PendingDeviceValues
    {
        get
        {
            lock (_lock)
                return new Dictionary<string, string>(_pending, StringComparer.Ordinal);
        }
    }

    /// <summary>A value from the device's text report (null: the report ended). It goes into the next object.</summary>
    public void OnDeviceValue(DeviceValue? value)
    {
        lock (_lock)
        {
            if (value is null)
            {
                _recordEnded = true;
                return;
            }
            // A new report replaces the one that was never used: after its end-of-record line, or — for devices
            // without one — when it names another patient or accession than the waiting values (issue #13 item 3: the
            // values of a report whose image never came must not mix into another patient's image).
            var otherPatient = value.Keyword is "PatientID" or "PatientName" or "AccessionNumber" or "IssuerOfPatientID"
                && _pending.TryGetValue(value.Keyword, out var waiting) && waiting != value.Value;
            if (_recordEnded || otherPatient)
            {
                _pending.Clear();
                _recordEnded = false;
            }
            _pending[value.Keyword] = value.Value;
        }
    }

    public string? Store(DecodedFrame frame) => Store(frame, null);

    /// <param name="key">The frame's key (<see cref="FrameMemory"/>), committed with its object; null: none.</param>
    public string? Store(DecodedFrame frame, string? key)
    {
        lock (_lock)
        {
            RetrySealed();
            // A multi-frame series' earlier frames brought their device values (and the report they consumed) with them.
            StartSeriesIfNeeded(PatientKey(_collecting?.Values ?? [], frame.Values, null));
            if (_profile.Output.Grouping == "multi-frame")
                return Collect(frame);
            _sourceKey = key;
            try
            {
                return Write([new Frame(Photometric(frame.Format), DicomBuffer.From(frame.Pixels))], frame.Values, null);
            }
            finally
            {
                _sourceKey = null;
            }
        }
    }

    /// <summary>
    /// The exam in progress (issue #17): every object is recorded there around its spool commit, and takes its
    /// patient, study, request and performed procedure step attributes from it. Null: no record (tests, tools).
    /// </summary>
    public IExamJournal? Journal { get; set; }

    /// <summary>This device's source name in the spool ("device:PROFILE").</summary>
    public string Source => _source;

    /// <summary>Set by the service from the spool right after recovery, before the forwarder may deliver and delete anything.</summary>
    public string? KeyAtStart { get; set; }

    /// <summary>The newest frame key a source committed in <paramref name="spool"/> (by the key's own sequence number).</summary>
    public static string? NewestKey(DurableSpool spool, string source) =>
        spool.EntriesWithSourceKey().Where(e => e.Source == source && e.SourceKey is not null)
            .Select(e => (e.SourceKey, Parsed: FrameMemory.ParseKey(e.SourceKey)))
            .Where(k => k.Parsed is not null).MaxBy(k => k.Parsed!.Value.Sequence).SourceKey;

    public (ImportResult Result, string? Reason) Import(IImageSource image, DicomDataset? sidecar)
    {
        lock (_lock)
        {
            StartSeriesIfNeeded(PatientKey([], [], sidecar));
            var problem = Write([new Frame(Photometric(image.Format), new DecodedFrameBuffer(image))], [], sidecar, out var permanent);
            return problem is null ? (ImportResult.Stored, null) : (permanent ? ImportResult.Rejected : ImportResult.Deferred, problem);
        }
    }

    /// <summary>Ends the series (GPIO end-series, idle, a new exam): a multi-frame series is written as one object now.</summary>
    public string? EndSeries(string why)
    {
        lock (_lock)
        {
            string? problem = null;
            if (_collecting is { Count: > 0 })
                problem = Flush();
            // Even when the flush failed the series ends: its frames are sealed on disk and become their object later
            // (RetrySealed), so nothing of the next series — another patient's, perhaps — can join them.
            if (_series is { } s)
            {
                AcquisitionLog.SeriesEnded(_logger, s.SeriesInstanceUid, why);
                Happened?.Invoke(new AcquisitionEvent(AcquisitionEvent.SeriesEnded, why));
                _series = null;
            }
            return problem;
        }
    }

    /// <summary>
    /// Ends the series when the exam changed, the device was idle, or the next object is of another patient (issue #13
    /// item 3: a study belongs to one patient — a new PatientID, PatientName or AccessionNumber from any source, the
    /// device's report, the technician or the worklist, ends the series and the study), then starts one if needed.
    /// </summary>
    private void StartSeriesIfNeeded(string patient)
    {
        var idle = TimeSpan.FromSeconds(_profile.Output.SeriesIdleSeconds);
        if (_series is not null)
        {
            var why = _exam.Version != _examVersion ? "new exam"
                : patient != _seriesPatient ? "new patient"
                : _time.GetElapsedTime(_lastFrame) > idle ? "idle" : null;
            if (why is not null)
                EndSeries(why);
        }
        _lastFrame = _time.GetTimestamp();
        if (_series is not null)
            return;
        _examVersion = _exam.Version;
        var exam = _exam.Snapshot();
        var study = exam.TryGetString(DicomTags.StudyInstanceUID) is { Length: > 0 } s ? s : null;
        if (study is not null && exam.TryGetString(DicomTags.PatientID) is not { Length: > 0 })
        {
            // The exam names a study but not its patient: the device decides who is imaged, and a study belongs to one
            // patient — so the exam's study cannot be trusted for any of them (across restarts no memory could say
            // whose it was). Every series gets a study of its own.
            if (!_warnedStudyWithoutPatient)
                AcquisitionLog.StudyNotShared(_logger, study);
            _warnedStudyWithoutPatient = true;
            study = null;
        }
        _seriesPatient = patient;
        _series = new SeriesContext(_uids, study, ++_seriesNumber);
    }

    private static readonly DicomTag[] PatientTags = [DicomTags.PatientID, DicomTags.IssuerOfPatientID, DicomTags.PatientName, DicomTags.AccessionNumber];

    /// <summary>Who the next object belongs to, by the same precedence as <see cref="Metadata"/>: profile, device, sidecar, exam.</summary>
    private string PatientKey(IReadOnlyList<DeviceValue> collected, IReadOnlyList<DeviceValue> frameValues, DicomDataset? sidecar)
    {
        var exam = _exam.Snapshot();
        var parts = new string[PatientTags.Length];
        for (var i = 0; i < PatientTags.Length; i++)
        {
            var tag = PatientTags[i];
            var keyword = DicomDictionary.Find(tag)!.Keyword;
            string? value = _attributes.TryGetString(tag);
            foreach (var v in collected)
            {
                if (v.Keyword == keyword)
                    value = v.Value;
            }
            if (_pending.TryGetValue(keyword, out var p))
                value = p;
            foreach (var v in frameValues)
            {
                if (v.Keyword == keyword)
                    value = v.Value;
            }
            if (sidecar?.TryGetString(tag) is { } fromSidecar)
                value = fromSidecar;
            if (exam.TryGetString(tag) is { Length: > 0 } fromExam)
                value = fromExam;
            parts[i] = (value ?? "").Trim();
        }
        return string.Join('\u001f', parts);
    }

    /// <summary>The profile's photometric interpretation for grey frames (MONOCHROME1 detectors).</summary>
    private ImageFormat Photometric(ImageFormat format) =>
        format.SamplesPerPixel == 1 && _profile.Output.Photometric == "MONOCHROME1" ? format with { Inverted = true } : format;

    private string? Collect(DecodedFrame frame)
    {
        try
        {
            var format = Photometric(frame.Format);
            _collecting ??= NewCollection(format, frame.Values);
            if (format != _collecting.Format)
            {
                // A different layout cannot join this object: the series so far becomes an object, this frame starts the next.
                _ = Flush(); // on failure the frames so far are sealed on disk and written later: this frame starts anew
                _collecting = NewCollection(format, frame.Values);
            }
            _collecting.Append(frame.Pixels, frame.Values);
        }
        catch (IOException e)
        {
            return Fail($"cannot keep the frame on disk: {e.Message}");
        }
        _idle.Change(TimeSpan.FromSeconds(_profile.Output.SeriesIdleSeconds), Timeout.InfiniteTimeSpan);
        if (_profile.Output.FramesPerObject > 0 && _collecting.Count >= _profile.Output.FramesPerObject)
            _ = Flush(); // this frame is durable either way (written, or sealed with the others): the device hears ACK
        return null;
    }

    /// <summary>A new frames file, with a manifest that lets the next start finish it should the process die first.</summary>
    /// The device's pending report goes into the manifest, and is used up: it belongs to this series.
    private MultiFrameFile NewCollection(ImageFormat format, IReadOnlyList<DeviceValue> values)
    {
        var collection = MultiFrameFile.Create(Path.Combine(_incoming, $"series-{Guid.NewGuid():N}.frames"), format, new SeriesManifest(
            _series!.StudyInstanceUid, _series.SeriesInstanceUid, _series.SeriesNumber,
            MultiFrameFile.Texts(_exam.Snapshot()), _pending.Select(p => new DeviceValue(p.Key, p.Value)).Concat(values).ToList())
        {
            ExamNumber = Journal?.ExamNumber,
        });
        _pending.Clear();
        _recordEnded = false;
        return collection;
    }

    /// <summary>
    /// Start: multi-frame series whose frames were acknowledged to the device but whose object was not yet written when
    /// the process stopped become objects now (same study and series, the exam and device values they were taken with).
    /// Returns how many.
    /// </summary>
    public int RecoverCollectedSeries()
    {
        var recovered = 0;
        lock (_lock)
        {
            foreach (var manifestPath in Directory.EnumerateFiles(_incoming, "series-*.frames.json"))
            {
                var framesPath = manifestPath[..^".json".Length];
                if (framesPath != _collecting?.Path && StoreCollected(framesPath))
                    recovered++;
            }
        }
        if (recovered > 0)
            AcquisitionLog.Recovered(_logger, recovered);
        return recovered;
    }

    /// <summary>A frames file on disk (left by a crash, or sealed after a failed flush) becomes its object; true when written.</summary>
    private bool StoreCollected(string framesPath)
    {
        if (MultiFrameFile.Open(framesPath) is not { } collected)
            return false;
        if (collected.Count > 0)
        {
            var m = collected.Manifest;
            try
            {
                var metadata = Metadata([.. m.Values], null, exam: MultiFrameFile.Dataset(m.Exam), withPending: false);
                var frames = Enumerable.Range(0, collected.Count)
                    .Select(i => new Frame(collected.Format, DicomBuffer.FromFile(framesPath, i * collected.Format.FrameLength, collected.Format.FrameLength))).ToList();
                // Finished at start (or after a failed flush): the exam in the record is the one in progress; no version to check.
                if (Store(frames, metadata, new InstanceIdentity(m.StudyInstanceUid, m.SeriesInstanceUid, _uids.NewUid(), m.SeriesNumber, 1), consumesPending: false, null, out _, m.ExamNumber) is not null)
                    return false;
            }
            catch (DicomValueException e)
            {
                Fail(e.Message);
                return false;
            }
        }
        collected.Delete();
        return collected.Count > 0;
    }

    /// <summary>Series sealed after a failed flush are written as soon as the spool takes them again.</summary>
    private void RetrySealed()
    {
        if (_sealed.Count == 0)
            return;
        foreach (var path in _sealed.ToList())
        {
            if (!File.Exists(path) || StoreCollected(path))
                _sealed.Remove(path);
        }
    }

    private string? Flush()
    {
        var collected = _collecting!;
        var frames = Enumerable.Range(0, collected.Count)
            .Select(i => new Frame(collected.Format, DicomBuffer.FromFile(collected.Path, i * collected.Format.FrameLength, collected.Format.FrameLength)))
            .ToList();
        // The series' own values and the exam it was taken with; a report that arrived since is the next series'.
        string? problem;
        try
        {
            var metadata = Metadata(collected.Values, null, exam: MultiFrameFile.Dataset(collected.Manifest.Exam), withPending: false);
            problem = Store(frames, metadata, _series!.NextInstance(), consumesPending: false, _examVersion, out _);
        }
        catch (DicomValueException e)
        {
            problem = Fail(e.Message);
        }
        if (problem is null)
            collected.Delete();
        else
        {
            // The frames stay on disk with their manifest, closed: no later frame joins them (issue #13 item 3).
            collected.Dispose();
            _sealed.Add(collected.Path);
        }
        _collecting = null;
        return problem;
    }

    private string? Write(IReadOnlyList<Frame> frames, IReadOnlyList<DeviceValue> values, DicomDataset? sidecar) =>
        Write(frames, values, sidecar, out _);

    /// <summary>Builds the object, makes it durable and hands it to the spool; null on success, else why not.</summary>
    private string? Write(IReadOnlyList<Frame> frames, IReadOnlyList<DeviceValue> values, DicomDataset? sidecar, out bool permanent)
    {
        DicomDataset metadata;
        try
        {
            metadata = Metadata(values, sidecar);
        }
        catch (DicomValueException e)
        {
            permanent = true;
            return Fail(e.Message);
        }
        return Store(frames, metadata, _series!.NextInstance(), consumesPending: true, _examVersion, out permanent);
    }

    /// <summary>
    /// Builds, writes and commits one object. With a <see cref="Journal"/> the order is: the object's file is durable in
    /// spool/incoming → the intent is durable in the exam record (<see cref="IExamJournal.Begin"/>) → the spool commits
    /// the entry, held back from the forwarder → the record says "committed" → the entry is released. A failure after the
    /// intent and before the commit is recorded as aborted before the file goes. (ExamWorkflow: why a crash at any point
    /// leaves the record listing exactly the committed instances.)
    /// </summary>
    /// <summary>
    /// The object in the profile's output.transferSyntax (issue #19), compressed here so that the spool holds the
    /// compressed bytes; a new object keeps its SOP Instance UID through a lossy step (no uncompressed one ever existed).
    /// An image a codec cannot take (a depth the profile did not fix) is spooled uncompressed, with a warning: never lost.
    /// </summary>
    private DicomFile SpooledForm(DicomDataset ds, string sopInstanceUid)
    {
        var native = new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian);
        var output = _profile.Output;
        if (!Gateway.Dicom.Codecs.TransferSyntaxNames.TryParse(output.TransferSyntax, out var ts) || ts.Equals(DicomTransferSyntax.ExplicitVRLittleEndian))
            return native;
        if (!ts.IsEncapsulated)
            return new DicomFile(ds, ts);
        try
        {
            return native.Transcode(ts, new Gateway.Dicom.Codecs.CodecOptions { Quality = output.JpegQuality, NearLossless = output.JpegLsNear, KeepSopInstanceUid = true });
        }
        catch (NotSupportedException e)
        {
            AcquisitionLog.NotCompressed(_logger, sopInstanceUid, output.TransferSyntax, e.Message);
            return native;
        }
    }

    private string? Store(IReadOnlyList<Frame> frames, DicomDataset metadata, InstanceIdentity identity, bool consumesPending, int? examVersion, out bool permanent, long? examNumber = null)
    {
        permanent = false;
        var path = Path.Combine(_incoming, $"acq-{Guid.NewGuid():N}.dcm");
        var journal = Journal;
        var begun = false;
        var committed = false;
        try
        {
            DicomDataset ds;
            if (journal is not null)
            {
                if (journal.Begin(examVersion, _iod.SopClassUid, identity.SopInstanceUid, identity.SeriesInstanceUid, out var refused, examNumber) is not { } fromExam)
                    return Fail(refused ?? "the exam refused the object");
                begun = true;
                // As with every exam value: the non-empty ones win over the device's and the profile's.
                foreach (var item in fromExam)
                {
                    if (item is not DicomElement { Length: 0 })
                        metadata.AddOrUpdate(item);
                }
                // The exam's study, when it names one (it does when it names its patient): the series was begun in it.
                if (fromExam.TryGetString(DicomTags.StudyInstanceUID) is { Length: > 0 } study)
                {
                    metadata.Remove(DicomTags.StudyInstanceUID);
                    identity = identity with { StudyInstanceUid = study };
                }
            }
            try
            {
                ds = _builder.Build(_iod.Kind, frames, metadata, identity);
                SpooledForm(ds, identity.SopInstanceUid).Save(path, durable: true);
            }
            catch (Exception e) when (e is DicomValueException or ImageFormatException)
            {
                permanent = true;
                return Fail(e.Message);
            }
            var info = new SpoolObjectInfo(_iod.SopClassUid, identity.SopInstanceUid, ds.TryGetString(DicomTags.Modality) ?? _iod.Modality, _source, _sourceKey);
            var routes = _route(info);
            if (routes.Count == 0)
                return Fail($"no destination takes {_iod.Name} objects from {_source} (check the destinations' routing)");
            var entry = _spool.EnqueueByMove(path, info, routes, held: journal is not null);
            committed = true;
            // Released only once the record says so: until then it cannot be delivered and deleted, so a crash before
            // the record finds it in the spool at the next start. A record that could not be written keeps it held
            // (in memory; the next start resolves the intent against the spool before the forwarder runs).
            if (journal is not null && journal.Committed(identity.SopInstanceUid, entry.Id))
                _spool.Release(entry.Id);
            if (consumesPending)
            {
                _pending.Clear();
                _recordEnded = false;
            }
            Acquired++;
            LastAcquired = _time.GetUtcNow();
            LastEntryId = entry.Id;
            AcquisitionLog.Acquired(_logger, identity.SopInstanceUid, frames.Count, frames[0].Format.ToString(), entry.Id);
            Happened?.Invoke(new AcquisitionEvent(AcquisitionEvent.Acquired, identity.SopInstanceUid));
            return null;
        }
        catch (SpoolFullException e)
        {
            return Fail(e.Message);
        }
        catch (IOException e)
        {
            return Fail($"cannot write the object: {e.Message}");
        }
        finally
        {
            // Aborted is recorded before the file goes: while the record says "intent", a crash leaves the file or the
            // spool entry for the next start to judge by.
            if (begun && !committed)
                journal!.Aborted(identity.SopInstanceUid);
            if (File.Exists(path))
                File.Delete(path);
        }
    }

    private string Fail(string reason)
    {
        Failures++;
        AcquisitionLog.Failed(_logger, reason);
        Happened?.Invoke(new AcquisitionEvent(AcquisitionEvent.Failed, reason));
        return reason;
    }

    /// <summary>Profile attributes, then the device's values, then the exam's (technician, worklist) where it has one.</summary>
    private DicomDataset Metadata(IReadOnlyList<DeviceValue> frameValues, DicomDataset? sidecar, DicomDataset? exam = null, bool withPending = true)
    {
        var ds = new DicomDataset();
        foreach (var item in _attributes)
            ds.AddOrUpdate(item);
        var pending = withPending ? _pending.Select(p => (p.Key, p.Value)) : [];
        foreach (var (keyword, value) in pending.Concat(frameValues.Select(v => (v.Keyword, v.Value))))
        {
            var entry = DicomDictionary.Find(keyword)!;
            try
            {
                ds.Set(entry.Tag, entry.VR, value.Split('\\'));
            }
            catch (DicomValueException e)
            {
                // One bad value from the device must not cost the image: it is left out, and said.
                AcquisitionLog.ValueLeftOut(_logger, keyword, e.Message);
            }
        }
        if (sidecar is not null)
        {
            foreach (var item in sidecar)
                ds.AddOrUpdate(item);
        }
        foreach (var item in exam ?? _exam.Snapshot())
        {
            // The study is the series context's choice (the exam's, unless the patient changed under it).
            if (item is not DicomElement { Length: 0 } && item.Tag != DicomTags.StudyInstanceUID)
                ds.AddOrUpdate(item);
        }
        return ds;
    }

    public void Dispose()
    {
        _idle.Dispose();
        _collecting?.Dispose();
    }
}
