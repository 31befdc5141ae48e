using Gateway.Acquisition.Sessions;
using Gateway.Acquisition.Worklist;
using Gateway.Dicom;
using Gateway.Shared;
using Microsoft.Extensions.Logging;

namespace Gateway.Acquisition.Exams;

/// <summary>
/// The exam lifecycle of IHE Scheduled Workflow at the Acquisition Modality (issue #17): a step selected from the
/// worklist, or entered by hand / taken from the configuration (the unscheduled case), is the exam the next images go
/// to; the first image starts it (our PPS SOP Instance UID, PPS ID, start — and the N-CREATE IN PROGRESS); ending it
/// queues the N-SET COMPLETED with the instances acquired, cancelling it the N-SET DISCONTINUED with a CID 9300 reason.
/// Every state is in <see cref="ExamFile"/> before it counts, every MPPS message in <see cref="MppsQueue"/> before it
/// is sent. While an exam is in progress a new selection or manual entry is refused. Thread-safe.
/// <para>
/// <b>The invariant</b>: after any crash (SIGKILL, power loss), the final N-SET's Performed Series Sequence lists
/// exactly the instances the gateway committed to its spool — the ones that will reach the PACS — and every image
/// carries the patient and study of the exam it was acquired in. <b>Why</b> (the write order of
/// <see cref="AcquisitionSession"/> with this journal): (1) <see cref="Begin"/> writes the instance as an intent into
/// the record, durably, before the spool commit, and hands the image its attributes from that same record under the
/// same lock, refusing when the exam changed since the series began; (2) the spool commits the entry <i>held</i>: the
/// forwarder cannot send, and so cannot delete, it; (3) <see cref="Committed"/> writes "committed" durably, and only then
/// is the entry released. A crash before the spool's commit point leaves an intent whose SOP instance is in no spool
/// entry (the half-written object is removed by the spool's recovery: it never reaches the PACS) — dropped. A crash
/// after the commit point and before (3) leaves an intent whose entry is still in the spool, because it was held, and
/// the hold ended with the process before the forwarder ran again — confirmed. <see cref="Load"/> decides every intent
/// this way after the spool's recovery and before the forwarder starts, and <see cref="End"/> does the same for any
/// intent left by a record write that failed (its entry is still held). A failure between (1) and the commit is
/// recorded as aborted before the object's file is removed. The final N-SET is built from the record only after the
/// acquisition was drained (no object between (1) and (3)) and new images are refused; it is queued durably before the
/// record moves on, and a start that finds the exam's N-SET queued knows the exam ended.
/// </para>
/// </summary>
public sealed class ExamWorkflow : IExamJournal
{
    private readonly ExamFile _file;
    private readonly MppsQueue _mpps;
    private readonly ExamContext _context;
    private readonly DicomUidGenerator _uids;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private ExamRecord _record = new();
    private DicomDataset? _configuration;
    private bool _ending;
    private DateTimeOffset? _lastImage;

    public ExamWorkflow(ExamFile file, MppsQueue mpps, ExamContext context, DicomUidGenerator uids, ILogger log, TimeProvider? time = null)
    {
        _file = file;
        _mpps = mpps;
        _context = context;
        _uids = uids;
        _log = log;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Whether MPPS messages are queued (an `mpps` section is configured); may change with a reload.</summary>
    public bool MppsEnabled { get; set; }

    /// <summary>Our station as the MPPS names it (AE title, name, modality); may change with a reload.</summary>
    public MppsDatasets.Station Station { get; set; } = new("GATEWAY", "GATEWAY", "OT");

    public MppsQueue Mpps => _mpps;

    /// <summary>
    /// Whether the spool holds an entry of a SOP Instance UID — how an intent left by a failed record write is decided
    /// at the end (its entry, if committed, is still held, so it cannot have left). Set by the service.
    /// </summary>
    public Func<string, bool> InSpool { get; set; } = _ => false;

    /// <summary>
    /// Releases a held spool entry (set by the service). An image whose "committed" could not be written (a full disk)
    /// stays held only until the record is durable again — the next image's record or the exam's end — never until a
    /// restart: a problem with the record must not keep images from the PACS (review of issue #17).
    /// </summary>
    public Action<string> Release { get; set; } = _ => { };

    private readonly List<string> _unreleased = [];

    /// <summary>Entries held because their record write failed; released once a later record write succeeded.</summary>
    private void ReleaseDeferred()
    {
        foreach (var id in _unreleased)
            Release(id);
        _unreleased.Clear();
    }

    /// <summary>Why the record found at start was not used (null: it was, or there was none).</summary>
    public string? StartProblem { get; private set; }

    public ExamRecord Current
    {
        get
        {
            lock (_lock)
                return _record;
        }
    }

    /// <summary>When the last image of the exam in progress was committed (for an idle time-out).</summary>
    public DateTimeOffset? LastImage
    {
        get
        {
            lock (_lock)
                return _lastImage;
        }
    }

    /// <summary>
    /// At start, after the spool's recovery and before the forwarder runs: reads the record (an unusable one is set
    /// aside, said, and no exam is selected), decides its intents by <paramref name="inSpool"/> (SOP Instance UID →
    /// is there a spool entry), finishes what a crash interrupted (an N-CREATE not yet queued, an end whose N-SET was
    /// queued) and applies it to the images' <see cref="ExamContext"/>.
    /// </summary>
    public void Load(Func<string, bool> inSpool, DicomDataset? configurationExam)
    {
        foreach (var problem in _mpps.Load())
            ExamLog.MppsUnusable(_log, LogText.Bounded(problem));
        lock (_lock)
        {
            _configuration = HasValues(configurationExam) ? configurationExam : null;
            var record = _file.TryLoad(out var unusable);
            if (unusable is not null)
            {
                var aside = _file.SetAside(_time.GetUtcNow()) ?? "(could not be moved)";
                StartProblem = $"the exam file was unusable ({unusable}); no exam is selected";
                ExamLog.Unusable(_log, _file.Path, LogText.Bounded(unusable), aside);
            }
            // Exam numbers name MPPS messages: never one again that the queue already knows.
            var floor = _mpps.Messages.Select(m => m.Exam).DefaultIfEmpty(0).Max();
            record ??= Fresh(floor);
            if (record.Number < floor)
                record = record with { Number = floor + 1 };
            var changed = false;
            if (record.Instances.Any(i => !i.Committed))
            {
                var intents = record.Instances.Count(i => !i.Committed);
                var resolved = Resolve(record, inSpool);
                var confirmed = resolved.Instances.Count - (record.Instances.Count - intents);
                ExamLog.Resolved(_log, record.Number, confirmed, intents - confirmed);
                record = resolved;
                changed = true;
            }
            if (record.InProgress && _mpps.Contains(MppsMessage.IdOf(record.Number, 2)))
            {
                ExamLog.EndFinished(_log, record.Number);
                record = Fresh(record.Number);
                changed = true;
            }
            else if (record.InProgress && !record.Instances.Any() && !record.MppsCreated)
            {
                record = record with { Started = null, PpsUid = null, PpsId = null };
                changed = true;
            }
            if (record.InProgress && record.CommittedInstances.Any() && !record.MppsCreated && MppsEnabled)
            {
                try
                {
                    QueueCreate(record);
                    record = record with { MppsCreated = true };
                    changed = true;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Not a reason to refuse to start: the next image or the end queues it.
                    ExamLog.MppsWriteFailed(_log, MppsMessage.IdOf(record.Number, 1), LogText.Bounded(e.Message));
                }
            }
            if (record.Source == ExamRecord.None && _configuration is not null)
            {
                record = Fresh(record.Number);
                changed = true;
            }
            _record = record;
            // The idle time-out of an exam found in progress counts from this start.
            _lastImage = record.InProgress ? _time.GetUtcNow() : null;
            if (changed)
                TrySave(record);
            Apply(record);
        }
    }

    /// <summary>Selects a worklist step for the next exam; null, or why not (in the technician's words).</summary>
    public string? Select(WorklistItem step, string key)
    {
        if (!step.IsUsable)
            return Refuse("select", "this step has problems and cannot be used: " + string.Join("; ", step.Problems), "the step has problems");
        DicomDataset attributes;
        try
        {
            attributes = ExamAttributes.FromStep(step);
        }
        catch (DicomValueException e)
        {
            return Refuse("select", "this step's values cannot go into an image: " + e.Message, "the step's values cannot go into an image");
        }
        return Replace("select", new ExamRecord { Source = ExamRecord.FromWorklist, StepKey = key, Attributes = attributes });
    }

    /// <summary>Manual entry (the unscheduled case); an empty data set clears the selection.</summary>
    public string? SetManual(DicomDataset attributes) =>
        Replace("manual entry", !HasValues(attributes) ? null : new ExamRecord { Source = ExamRecord.Manual, Attributes = ExamAttributes.Unscheduled(attributes, _uids) });

    /// <summary>
    /// The configuration's `exam` section changed. It applies when the exam is the configuration's or none: one in
    /// progress from the configuration ends first (COMPLETED: a box without a technician ends its exams this way);
    /// a selected or typed exam stays.
    /// </summary>
    public void ConfigurationChanged(DicomDataset? exam, Action drain)
    {
        bool endFirst;
        lock (_lock)
        {
            _configuration = HasValues(exam) ? exam : null;
            if (_record.Source is not (ExamRecord.FromConfiguration or ExamRecord.None))
                return;
            endFirst = _record.InProgress;
        }
        if (endFirst && Finish("configuration", "the configuration's exam changed", null, drain) is null)
            return; // the next record is already the new configuration's
        lock (_lock)
        {
            if (_record.InProgress || _ending || _record.Source is not (ExamRecord.FromConfiguration or ExamRecord.None))
                return;
            var next = Fresh(_record.Number);
            if (!TrySave(next))
                return;
            _record = next;
            Apply(next);
        }
    }

    private string? Replace(string request, ExamRecord? with)
    {
        lock (_lock)
        {
            if (Busy() is { } why)
                return Refuse(request, why);
            var next = with is null ? Fresh(_record.Number) : with with { Number = _record.Number + 1 };
            if (!TrySave(next))
                return Refuse(request, "the exam could not be saved on the box (see the log, event 8009)");
            var previous = _record.Number;
            _record = next;
            Apply(next);
            if (with is null)
                ExamLog.Cleared(_log, previous);
            else if (next.Source == ExamRecord.FromWorklist)
                ExamLog.Selected(_log, next.Number, next.Source);
            else
                ExamLog.Changed(_log, next.Number, next.Source, previous);
            return null;
        }
    }

    private string? Busy() =>
        _ending ? "the exam is being ended"
        : _record.InProgress ? $"an exam is in progress ({_record.Instances.Count} image(s) acquired): end or cancel it first"
        : null;

    /// <summary>Ends the exam in progress: MPPS COMPLETED. <paramref name="drain"/> writes the device's open series and waits for any object being stored.</summary>
    public string? End(string why, Action drain) => Finish("end", why, null, drain);

    /// <summary>Discontinues the exam (MPPS DISCONTINUED with the reason); without images only clears the selection.</summary>
    public string? Cancel(string reasonCode, Action drain)
    {
        if (DiscontinuationReasons.Find(reasonCode) is not { } reason)
            return Refuse("cancel", $"'{LogText.Bounded(reasonCode)}' is not a reason this box offers");
        lock (_lock)
        {
            if (!_record.InProgress && !_ending)
                return Replace("cancel", null);
        }
        return Finish("cancel", "cancelled", reason, drain);
    }

    private string? Finish(string request, string why, DiscontinuationReasons.Reason? reason, Action drain)
    {
        // A multi-frame series still being collected is this exam's: written first (its object joins the exam).
        drain();
        lock (_lock)
        {
            if (_ending)
                return Refuse(request, "the exam is already being ended");
            if (!_record.InProgress)
                return Refuse(request, "no image was acquired in this exam");
            _ending = true;
        }
        try
        {
            // New objects are refused from here on; this waits for one being stored (between intent and commit).
            drain();
            lock (_lock)
            {
                var record = Resolve(_record, InSpool);
                if (!record.CommittedInstances.Any() && !record.MppsCreated)
                {
                    // Every image of it failed before its commit: nothing was performed, nothing to report.
                    var cleared = Fresh(record.Number);
                    _record = cleared;
                    TrySave(cleared);
                    Apply(cleared);
                    if (reason is not null)
                    {
                        ExamLog.Cleared(_log, record.Number);
                        return null;
                    }
                    return Refuse(request, "no image was acquired in this exam");
                }
                var now = _time.GetLocalNow();
                // An exam whose N-CREATE was queued always gets its final N-SET, even when `mpps` was removed since
                // (the RIS would otherwise keep the step IN PROGRESS for ever).
                if (MppsEnabled || record.MppsCreated)
                {
                    if (!record.MppsCreated)
                    {
                        QueueCreate(record);
                        record = record with { MppsCreated = true };
                    }
                    _mpps.Add(new MppsMessage
                    {
                        Id = MppsMessage.IdOf(record.Number, 2),
                        Exam = record.Number,
                        Command = MppsMessage.Set,
                        PpsUid = record.PpsUid!,
                        Status = reason is null ? "COMPLETED" : "DISCONTINUED",
                        Dataset = MppsDatasets.Final(record, now, reason),
                        Created = _time.GetUtcNow(),
                        NextAttempt = DateTimeOffset.MinValue,
                    });
                }
                // The final N-SET (queued durably above) lists them: held images go now.
                ReleaseDeferred();
                var instances = record.CommittedInstances.Count();
                var series = record.CommittedInstances.Select(i => i.SeriesInstanceUid).Distinct(StringComparer.Ordinal).Count();
                var next = Fresh(record.Number);
                _record = next;
                _lastImage = null;
                TrySave(next); // on failure the queued N-SET tells the next start that this exam ended
                Apply(next);
                if (reason is null)
                    ExamLog.Ended(_log, record.Number, why, instances, series);
                else
                    ExamLog.Discontinued(_log, record.Number, reason.Code, instances, MppsEnabled ? "queued" : "not sent (no MPPS SCP configured)");
                return null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ExamLog.MppsWriteFailed(_log, MppsMessage.IdOf(_record.Number, 2), LogText.Bounded(e.Message));
            return Refuse(request, "the MPPS message could not be saved on the box; the exam stays in progress (see the log, event 8025)");
        }
        finally
        {
            lock (_lock)
                _ending = false;
        }
    }

    public long ExamNumber
    {
        get
        {
            lock (_lock)
                return _record.Number;
        }
    }

    public DicomDataset? Begin(int? examVersion, string sopClassUid, string sopInstanceUid, string seriesInstanceUid, out string? refused, long? examNumber = null)
    {
        lock (_lock)
        {
            if (examNumber is { } begunIn && begunIn != _record.Number && !_ending)
            {
                // A series of an exam that has ended (written after a restart or a failed flush): never another
                // patient's — it keeps what its manifest says, and no exam's record lists it (review of issue #17).
                ExamLog.OutsideItsExam(_log, begunIn, _record.Number);
                refused = null;
                return new DicomDataset();
            }
            refused = _ending ? "the exam is being ended; the image belongs to the next one (send it again)"
                : examVersion is { } v && v != _context.Version ? "the exam changed while the image was being taken (send it again)"
                : _record.Instances.Count >= ExamFile.MaxInstances ? $"the exam has {ExamFile.MaxInstances} instances, the most one exam may hold: end it"
                : null;
            if (refused is not null)
                return null;
            // No exam selected (nor one in the configuration): the images are the device's own, as without a worklist —
            // nothing is performed under an exam, so nothing is recorded and no MPPS is sent.
            if (_record.Source == ExamRecord.None)
                return new DicomDataset();
            var record = _record;
            var starting = !record.InProgress;
            if (starting)
            {
                var now = _time.GetLocalNow();
                record = record with { PpsUid = _uids.NewUid(), PpsId = $"GW{record.Number % 100_000_000:D8}", Started = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond)) };
            }
            record = record with { Instances = [.. record.Instances, new ExamInstance(sopClassUid, sopInstanceUid, seriesInstanceUid, false)] };
            if (!TrySave(record))
            {
                refused = "the exam record could not be written (see the log, event 8009)";
                return null;
            }
            _record = record;
            if (starting)
                ExamLog.Started(_log, record.Number, record.PpsUid!, record.Source);
            var attributes = new DicomDataset();
            foreach (var item in record.Attributes)
                attributes.AddOrUpdate(item);
            foreach (var item in MppsDatasets.ImageAttributes(record, MppsEnabled))
                attributes.AddOrUpdate(item);
            // A study belongs to one patient (issue #13 item 3): an exam that names none leaves the study to the series.
            if (attributes.TryGetString(DicomTags.PatientID) is not { Length: > 0 })
                attributes.Remove(DicomTags.StudyInstanceUID);
            return attributes;
        }
    }

    public bool Committed(string sopInstanceUid, string entryId)
    {
        lock (_lock)
        {
            if (!_record.Instances.Any(i => i.SopInstanceUid == sopInstanceUid && !i.Committed))
                return true; // not begun under an exam (none was selected): nothing to record
            var record = _record with { Instances = [.. _record.Instances.Select(i => i.SopInstanceUid == sopInstanceUid ? i with { Committed = true } : i)] };
            try
            {
                if (MppsEnabled && !record.MppsCreated)
                {
                    QueueCreate(record);
                    record = record with { MppsCreated = true };
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Never a reason to hold the image: the N-CREATE is queued with the next image or at the end.
                ExamLog.MppsWriteFailed(_log, MppsMessage.IdOf(record.Number, 1), LogText.Bounded($"{e.GetType().Name}: {e.Message}"));
            }
            _lastImage = _time.GetUtcNow();
            // Kept in memory either way: the next successful write (of the next image, or the end's N-SET) records it.
            _record = record;
            if (!TrySave(record))
            {
                _unreleased.Add(entryId);
                return false;
            }
            ReleaseDeferred();
            return true;
        }
    }

    public void Aborted(string sopInstanceUid)
    {
        lock (_lock)
        {
            if (!_record.Instances.Any(i => i.SopInstanceUid == sopInstanceUid))
                return;
            var record = _record with { Instances = [.. _record.Instances.Where(i => i.SopInstanceUid != sopInstanceUid)] };
            if (record.Instances.Count == 0 && !record.MppsCreated)
                record = record with { Started = null, PpsUid = null, PpsId = null };
            if (TrySave(record))
                _record = record;
        }
    }

    /// <summary>An exam of only empty values (the example configuration's placeholders) is no exam.</summary>
    private static bool HasValues(DicomDataset? ds) => ds is not null && ds.Any(i => i is DicomSequence || i is DicomElement { Length: > 0 });

    /// <summary>Intents decided: kept (committed) when their entry is in the spool, dropped otherwise.</summary>
    private static ExamRecord Resolve(ExamRecord record, Func<string, bool> inSpool) =>
        record with { Instances = [.. record.Instances.Where(i => i.Committed || inSpool(i.SopInstanceUid)).Select(i => i with { Committed = true })] };

    /// <summary>The exam after <paramref name="number"/>: the configuration's (unscheduled, a study of its own) or none.</summary>
    private ExamRecord Fresh(long number) => _configuration is { } c
        ? new ExamRecord { Number = number + 1, Source = ExamRecord.FromConfiguration, Attributes = ExamAttributes.Unscheduled(c, _uids) }
        : new ExamRecord { Number = number + 1 };

    private void QueueCreate(ExamRecord record) => _mpps.Add(new MppsMessage
    {
        Id = MppsMessage.IdOf(record.Number, 1),
        Exam = record.Number,
        Command = MppsMessage.Create,
        PpsUid = record.PpsUid!,
        Status = "IN PROGRESS",
        Dataset = MppsDatasets.Create(record, Station),
        Created = _time.GetUtcNow(),
        NextAttempt = DateTimeOffset.MinValue,
    });

    private bool TrySave(ExamRecord record)
    {
        try
        {
            _file.Save(record);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ExamLog.WriteFailed(_log, _file.Path, LogText.Bounded(e.Message));
            return false;
        }
    }

    /// <summary>The images' attributes follow the record (a new exam number or new attributes start a new series).</summary>
    private void Apply(ExamRecord record)
    {
        if (_applied == (record.Number, record.Attributes))
            return;
        _applied = (record.Number, record.Attributes);
        var copy = new DicomDataset();
        foreach (var item in record.Attributes)
            copy.AddOrUpdate(item);
        _context.Set(copy);
    }

    private (long, DicomDataset?) _applied;

    /// <param name="logged">What the journal says when <paramref name="why"/> may quote the RIS's values (patient data).</param>
    private string Refuse(string request, string why, string? logged = null)
    {
        ExamLog.Refused(_log, request, logged ?? why);
        return why;
    }
}
