using Gateway.Dicom;
using Gateway.Dicom.Iod;
using Gateway.Spool;

namespace Gateway.Acquisition.Sessions;

/// <summary>One object a grabber is making: its metadata and identity are fixed when it begins (a clip's header is
/// written first), its file is written by the caller into <see cref="Path"/>, then committed or abandoned.</summary>
public sealed class VideoObjectTicket
{
    internal VideoObjectTicket(IodInfo iod, DicomDataset metadata, InstanceIdentity identity, string path, bool begun)
    {
        Iod = iod;
        Metadata = metadata;
        Identity = identity;
        Path = path;
        Begun = begun;
    }

    public IodInfo Iod { get; }
    /// <summary>Profile attributes, then the exam's values (technician, worklist), as for every other object.</summary>
    public DicomDataset Metadata { get; }
    public InstanceIdentity Identity { get; }
    /// <summary>Where the caller writes the durable file (spool/incoming).</summary>
    public string Path { get; }
    internal bool Begun { get; }
    internal bool Done { get; set; }
}

// Video objects (issue #20): the same series, exam and spool path as frames, in two steps so that a clip of minutes
// is recorded outside the session's lock.
public sealed partial class AcquisitionSession
{
    /// <summary>
    /// Begins a still or clip: the series and identity are chosen, and with a <see cref="Journal"/> the intent is
    /// recorded in the exam (it also gives the exam's values). Null with the reason when the exam refuses the object.
    /// </summary>
    public VideoObjectTicket? BeginVideoObject(IodInfo iod, out string? refused)
    {
        lock (_lock)
        {
            refused = null;
            RetrySealed();
            StartSeriesIfNeeded(PatientKey([], [], null));
            DicomDataset metadata;
            try
            {
                metadata = Metadata([], null, withPending: false);
            }
            catch (DicomValueException e)
            {
                refused = Fail(e.Message);
                return null;
            }
            var identity = _series!.NextInstance();
            var begun = false;
            if (Journal is { } journal)
            {
                if (journal.Begin(_examVersion, iod.SopClassUid, identity.SopInstanceUid, identity.SeriesInstanceUid, out var why) is not { } fromExam)
                {
                    refused = Fail(why ?? "the exam refused the object");
                    return null;
                }
                begun = true;
                foreach (var item in fromExam)
                {
                    if (item is not DicomElement { Length: 0 })
                        metadata.AddOrUpdate(item);
                }
                if (fromExam.TryGetString(DicomTags.StudyInstanceUID) is { Length: > 0 } study)
                {
                    metadata.Remove(DicomTags.StudyInstanceUID);
                    identity = identity with { StudyInstanceUid = study };
                }
            }
            var path = System.IO.Path.Combine(_incoming, $"video-{Guid.NewGuid():N}.dcm");
            return new VideoObjectTicket(iod, metadata, identity, path, begun);
        }
    }

    /// <summary>The ticket's durable file into the spool (held until the exam records it); null on success, else why not (the file is then deleted).</summary>
    public string? CommitVideoObject(VideoObjectTicket ticket, string modality, string description)
    {
        lock (_lock)
        {
            if (ticket.Done)
                throw new InvalidOperationException("the video object was committed or abandoned already");
            ticket.Done = true;
            var journal = Journal;
            var committed = false;
            try
            {
                var info = new SpoolObjectInfo(ticket.Iod.SopClassUid, ticket.Identity.SopInstanceUid, modality, _source, null);
                var routes = _route(info);
                if (routes.Count == 0)
                    return Fail($"no destination takes {ticket.Iod.Name} objects from {_source} (check the destinations' routing)");
                var entry = _spool.EnqueueByMove(ticket.Path, info, routes, held: journal is not null && ticket.Begun);
                committed = true;
                if (journal is not null && ticket.Begun && journal.Committed(ticket.Identity.SopInstanceUid, entry.Id))
                    _spool.Release(entry.Id);
                Acquired++;
                LastAcquired = _time.GetUtcNow();
                LastEntryId = entry.Id;
                AcquisitionLog.Acquired(_logger, ticket.Identity.SopInstanceUid, 1, description, entry.Id);
                Happened?.Invoke(new AcquisitionEvent(AcquisitionEvent.Acquired, ticket.Identity.SopInstanceUid));
                return null;
            }
            catch (SpoolFullException e)
            {
                return Fail(e.Message);
            }
            catch (IOException e)
            {
                return Fail($"cannot store the object: {e.Message}");
            }
            finally
            {
                if (!committed)
                    Abandon(ticket, journal);
            }
        }
    }

    /// <summary>The object could not be made (grabber gone before a whole picture, encoder refused): the intent is withdrawn, the file removed.</summary>
    public string AbandonVideoObject(VideoObjectTicket ticket, string reason)
    {
        lock (_lock)
        {
            if (!ticket.Done)
            {
                ticket.Done = true;
                Abandon(ticket, Journal);
            }
            return Fail(reason);
        }
    }

    private static void Abandon(VideoObjectTicket ticket, IExamJournal? journal)
    {
        if (ticket.Begun)
            journal?.Aborted(ticket.Identity.SopInstanceUid);
        if (File.Exists(ticket.Path))
            File.Delete(ticket.Path);
    }
}
