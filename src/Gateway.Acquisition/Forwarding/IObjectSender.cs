using Gateway.Dicom;
using Gateway.Dicom.Codecs;
using Gateway.Dicom.Network;

namespace Gateway.Acquisition.Forwarding;

/// <summary>
/// Sends spooled files to one destination, keeping an association open between objects. The seam the forwarder's
/// unit tests replace; <see cref="DicomObjectSender"/> is the real one. Not thread-safe: one per worker.
/// </summary>
public interface IObjectSender : IAsyncDisposable
{
    /// <param name="sha256">The file's SHA-256 as the spool recorded it (lower-case hex), or null: when given, the bytes
    /// are checked as they are sent and <see cref="Gateway.Dicom.Network.PayloadMismatchException"/> raised — the
    /// association aborted before the object was complete — when they differ.</param>
    /// <param name="progress">Called while bytes flow (a sign of life for the watchdog).</param>
    /// <exception cref="FileNotFoundException">The file is not there (the caller quarantines the entry).</exception>
    Task<SendOutcome> SendAsync(string path, string sopClassUid, string? sha256, Action progress, CancellationToken ct);
    /// <summary>Releases the association if one is open.</summary>
    Task CloseAsync();
}

/// <summary>
/// C-STORE over a reused association; reopened when an object needs a presentation context it lacks. Proposes, per SOP
/// class, the stored syntax and then the destination's <see cref="TranscodePolicy"/>; an object whose stored syntax
/// was not accepted is transcoded on the way (<see cref="TranscodingSender"/>), never to a lossy one unless allowed.
/// </summary>
/// <param name="scratchDirectory">Where a transcode on the way keeps the transcoded pixel data while they are sent
/// (<see cref="PixelScratchFile"/>: nameless once open on Linux, gone with its handle; the forwarder gives the spool's
/// <c>tmp/</c>, on the spool's disk); null: the system's temporary directory.</param>
/// <param name="scratchReserveBytes">What a transcode must leave free on the scratch directory's volume (the spool's
/// <see cref="DurableSpool.MinFreeBytes"/>: a scratch file must not make the spool refuse what a modality sends).</param>
public sealed class DicomObjectSender(DicomClientOptions options, TranscodePolicy? policy = null, string? scratchDirectory = null, long scratchReserveBytes = 0) : IObjectSender
{
    private readonly TranscodePolicy _policy = policy ?? TranscodePolicy.Default;
    private readonly string _scratch = scratchDirectory ?? Path.GetTempPath();
    private DicomClientAssociation? _association;
    private readonly HashSet<(string, string)> _proposed = [];

    public async Task<SendOutcome> SendAsync(string path, string sopClassUid, string? sha256, Action progress, CancellationToken ct)
    {
        // One open for the header (its transfer syntax decides the presentation context) and the bytes sent (issue #22:
        // the file was opened twice per object).
        using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        try
        {
            var header = DicomFile.ReadHeader(source, Path.GetFullPath(path));
            var transferSyntaxUid = header.TransferSyntax.Uid;
            if (_association is null || !_proposed.Contains((sopClassUid, transferSyntaxUid)))
            {
                await CloseAsync().ConfigureAwait(false);
                _proposed.Add((sopClassUid, transferSyntaxUid));
                try
                {
                    _association = await DicomClient.OpenAsync(options, Plan(), ct).ConfigureAwait(false);
                }
                catch (DicomNetworkException e)
                {
                    // Unreachable: no connection (refused, timed out, TLS). A transient rejection is an answer — a PACS that
                    // limits its associations, with a sibling worker's association standing — and stays the entry's own.
                    var failed = SendOutcome.From(e);
                    return failed.Kind == OutcomeKind.Transient && e is not DicomAssociationRejectedException ? failed with { Unreachable = true } : failed;
                }
            }
            var stored = DicomTransferSyntax.FromUid(transferSyntaxUid);
            var accepted = _association.AcceptedContexts.Where(c => c.AbstractSyntax == sopClassUid).Select(c => c.TransferSyntax).ToList();
            var target = TranscodingSender.Choose(stored, accepted, _policy, out var refusal);
            if (refusal is not null)
                return new SendOutcome(OutcomeKind.Permanent, "not sent: " + refusal);
            if (target is not null)
                return await TranscodeAndSendAsync(_association, source, stored, target, sha256, progress, ct).ConfigureAwait(false);
            var expected = sha256 is null ? null : Convert.FromHexString(sha256);
            var outcome = SendOutcome.From(await _association.StoreAsync(header, source, expected, progress, ct).ConfigureAwait(false));
            return accepted.Count == 0 && outcome.Kind == OutcomeKind.Permanent ? outcome with { Detail = outcome.Detail + NothingAcceptedHint() } : outcome;
        }
        catch (PayloadMismatchException)
        {
            // Aborted under us while streaming; a transcode's read found it before anything was sent (still open).
            if (_association?.State != UlState.Sta6)
                _association = null;
            throw;
        }
        catch (DicomNetworkException e)
        {
            await DropAsync().ConfigureAwait(false);
            return SendOutcome.From(e);
        }
        catch (DicomFormatException e)
        {
            return new SendOutcome(OutcomeKind.Permanent, "the spooled file is not valid DICOM: " + e.Message);
        }
        catch (Exception) when (_association is { State: not UlState.Sta6 })
        {
            // Aborted under us in the middle of the object (a file that could not be read further: the payload moved to
            // quarantine, an I/O error): the caller hears why, and the next object gets a new association, not this one.
            _association = null;
            throw;
        }
    }

    /// <summary>The contexts for every (SOP class, stored syntax) met so far; only the current one's when they no longer fit one association.</summary>
    private List<PresentationContextProposal> Plan()
    {
        var also = _policy.Proposed.Select(p => p.Uid).ToList();
        try
        {
            return PresentationContextPlanner.Plan(_proposed, also);
        }
        catch (InvalidOperationException) when (_proposed.Count > 1)
        {
            var last = _proposed.Last();
            _proposed.Clear();
            _proposed.Add(last);
            return PresentationContextPlanner.Plan(_proposed, also);
        }
    }

    /// <summary>What was proposed, for the reason of a dead letter whose SOP class the destination accepted in no syntax.</summary>
    private string NothingAcceptedHint() =>
        $"; proposed: the stored syntax, then {string.Join(", ", _policy.Proposed.Select(TransferSyntaxNames.NameOf))}"
        + (_policy.AllowLossy ? "" : " (lossy syntaxes are not proposed: allowLossy is false)");

    /// <summary>
    /// Checks the spooled file against its checksum (a mismatch: <see cref="PayloadMismatchException"/> with nothing
    /// sent, the association still open), transcodes it frame by frame into a scratch file and sends the result from
    /// there: one native and one compressed frame in memory, whatever the object's size. A transcode that fails (a
    /// corrupt codestream, a layout the codec cannot take) is a dead letter with the reason: it would fail the same way
    /// again. The scratch file is gone whatever happens, a crash included (it has no name once open).
    /// </summary>
    private async Task<SendOutcome> TranscodeAndSendAsync(DicomClientAssociation association, FileStream source, DicomTransferSyntax stored,
        DicomTransferSyntax target, string? sha256, Action progress, CancellationToken ct)
    {
        DicomFile original;
        try
        {
            // Hashed, parsed and read frame by frame through the one open of the file (SendAsync's): the bytes transcoded
            // are those of the file whose checksum was just checked.
            original = TranscodingSender.OpenVerified(source, sha256, progress);
        }
        catch (NotSupportedException e)
        {
            return new SendOutcome(OutcomeKind.Permanent, $"not sent: the destination accepted only {target.Name}, and {e.Message}");
        }
        progress();
        if (ScratchShortfall(original, target) is { } shortfall)
        {
            return shortfall.Never
                ? new SendOutcome(OutcomeKind.Permanent, $"not sent: the destination accepted only {target.Name}, and {shortfall.Why}")
                : new SendOutcome(OutcomeKind.Transient, $"not sent yet: the destination accepted only {target.Name}, and {shortfall.Why}");
        }
        using var scratch = new PixelScratchFile(_scratch);
        DicomFile transcoded;
        try
        {
            // A sign of life per frame (the service's watchdog starves after WatchdogStallSeconds of silence, and a
            // transcode of up to 4 GiB can take longer), and a stop asked for is heard between frames.
            transcoded = TranscodingSender.Transcode(original, target, _policy, new BeatingStore(scratch, progress, ct));
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException or IOException))
        {
            // Pure computation on verified bytes: it fails the same way every time (DicomFormatException names the frame
            // and offset of a corrupt codestream; NotSupportedException a layout the codec cannot take). An IOException
            // (the spooled file gone, the scratch disk full) is the caller's: transient.
            return new SendOutcome(OutcomeKind.Permanent, $"not sent: the destination accepted only {target.Name} and transcoding {stored.Name} to it failed: {e.Message}");
        }
        progress();
        var sent = transcoded.Dataset.TryGetString(DicomTags.SOPInstanceUID);
        var outcome = SendOutcome.From(await association.StoreAsync(transcoded, progress, ct).ConfigureAwait(false));
        var lossy = sent != original.Dataset.TryGetString(DicomTags.SOPInstanceUID);
        return outcome with
        {
            Detail = outcome.Detail + $" (transcoded from {stored.Name} to {target.Name}{(lossy ? $", lossy: sent as {sent}" : "")})",
            SentSopInstanceUid = lossy ? sent : null,
        };
    }

    /// <summary>
    /// Why the scratch file of this transcode would not fit, or null: it takes about the native pixel data's size (a
    /// decompressed object exactly that, a compressed one less but for noise, which a lossless codestream can make a
    /// little larger — the reserve absorbs that), and must leave the spool's reserve free. Not fitting is transient —
    /// the disk frees as the spool drains — and says so on the entry instead of failing half-way through the scratch
    /// file; more than the whole volume beside the reserve can hold is permanent (it would wait for ever).
    /// </summary>
    private (string Why, bool Never)? ScratchShortfall(DicomFile original, DicomTransferSyntax target)
    {
        long need;
        try
        {
            need = Dicom.Codecs.PixelDescription.FromDataset(original.Dataset).TotalBytes;
        }
        catch (Exception e) when (e is NotSupportedException or DicomFormatException or DicomValueException)
        {
            return null; // the transcode says what is wrong with it
        }
        if (!target.IsEncapsulated && need + (need & 1) >= uint.MaxValue)
            return null; // native pixel data that one value cannot hold: the transcode refuses it (a dead letter)
        long free, size;
        try
        {
            var drive = new DriveInfo(Path.GetFullPath(_scratch));
            (free, size) = (drive.AvailableFreeSpace, drive.TotalSize);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null; // cannot tell: the write will say
        }
        static string MiB(long bytes) => ((bytes >> 20) + ((bytes & ((1 << 20) - 1)) == 0 ? 0 : 1)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (size - need < scratchReserveBytes)
            return ($"transcoding it here needs up to {MiB(need)} MiB on the spool's disk beside the spool's reserve of {MiB(scratchReserveBytes)} MiB, more than the whole disk ({size >> 20} MiB) holds", true);
        return free - need >= scratchReserveBytes ? null
            : ($"transcoding it here needs up to {MiB(need)} MiB on the spool's disk beside the spool's reserve of {MiB(scratchReserveBytes)} MiB; {free >> 20} MiB are free", false);
    }

    /// <summary>A store that calls <paramref name="progress"/> for every frame kept, and stops when <paramref name="ct"/> is cancelled.</summary>
    private sealed class BeatingStore(PixelStore inner, Action progress, CancellationToken ct) : PixelStore
    {
        public override DicomBuffer Keep(ReadOnlySpan<byte> bytes)
        {
            ct.ThrowIfCancellationRequested();
            var kept = inner.Keep(bytes);
            progress();
            return kept;
        }

        public override DicomBuffer Keep(byte[] owned)
        {
            ct.ThrowIfCancellationRequested();
            var kept = inner.Keep(owned);
            progress();
            return kept;
        }
    }

    private async Task DropAsync()
    {
        if (_association is not null)
            await _association.AbortAsync().ConfigureAwait(false);
        _association = null;
    }

    public async Task CloseAsync()
    {
        if (_association is not null)
            await _association.ReleaseAsync().ConfigureAwait(false);
        _association = null;
    }

    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);
}
