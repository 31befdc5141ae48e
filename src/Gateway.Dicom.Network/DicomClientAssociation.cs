using System.Security.Cryptography;
using System.IO.Compression;

namespace Gateway.Dicom.Network;

/// <summary>
/// An established association we requested (Sta6), on the DIMSE service layer (<see cref="DimseService"/>).
/// Operations run one at a time (asynchronous operations window 1): each request is sent, then its response awaited.
/// Requests the peer sends on it (an N-EVENT-REPORT) go to <see cref="DicomClientOptions.Handlers"/>. An A-ABORT or a
/// dropped connection surfaces as a <see cref="DicomNetworkException"/>; a refused request is a <see cref="DicomStatus"/>.
/// </summary>
public sealed partial class DicomClientAssociation : IAsyncDisposable
{
    private readonly DimseService _service;
    private readonly DicomClientOptions _options;
    private readonly SemaphoreSlim _operation = new(1, 1);
    // A request has been (partly) sent and its response not yet read: the association can only be aborted now.
    private volatile bool _inMessage;

    internal DicomClientAssociation(DimseService service, DicomClientOptions options)
    {
        _service = service;
        _options = options;
    }

    /// <summary>The TCP socket (tests read its options back).</summary>
    internal System.Net.Sockets.Socket? Socket => _service.Association.Transport?.Socket;

    public AssociateRequest Request => _service.Request;
    public AssociateAccept Accept => _service.Accept;
    public UlState State => _service.Association.State;

    /// <summary>The accepted contexts: (id, abstract syntax, transfer syntax).</summary>
    public IEnumerable<(byte Id, string AbstractSyntax, string TransferSyntax)> AcceptedContexts =>
        _service.Contexts.OrderBy(c => c.Key).Select(c => (c.Key, c.Value.AbstractSyntax, c.Value.TransferSyntax));

    /// <summary>The role the peer accepted for a SOP class we proposed a role selection for (PS3.7 §D.3.3.4), or null.</summary>
    public RoleSelection? AcceptedRole(string sopClassUid) => Accept.User.Roles.FirstOrDefault(r => r.SopClassUid == sopClassUid);

    /// <summary>Why a SOP class has no accepted context: the peer's result for it, or "not proposed".</summary>
    public string WhyNotAccepted(string sopClass)
    {
        var proposed = Request.Contexts.Where(p => p.AbstractSyntax == sopClass).Select(p => p.Id).ToHashSet();
        if (proposed.Count == 0)
            return "no presentation context was proposed for it";
        var results = Accept.Contexts.Where(c => proposed.Contains(c.Id)).Select(c => c.Result).Distinct().ToList();
        return results.Count == 0 ? "the peer did not answer its presentation context"
            : "the peer rejected its presentation context: " + string.Join(", ", results.Select(Describe));
    }

    private static string Describe(PresentationContextResult r) => r switch
    {
        PresentationContextResult.AbstractSyntaxNotSupported => "SOP class not supported",
        PresentationContextResult.TransferSyntaxesNotSupported => "transfer syntaxes not supported",
        PresentationContextResult.UserRejection => "rejected by the user",
        _ => "no reason given",
    };

    public async Task<DicomStatus> EchoAsync(CancellationToken ct = default)
    {
        var context = AcceptedContexts.FirstOrDefault(c => c.AbstractSyntax == DicomUids.Verification);
        if (context.Id == 0)
            throw new DicomNetworkException($"{_service.Peer} did not accept the Verification SOP class");
        var response = await RequestAsync(context.Id, id => DimseCommand.EchoRequest(id), null, ct).ConfigureAwait(false);
        return response.Status;
    }

    /// <summary>
    /// Sends one request whose command <paramref name="command"/> builds from a message id (and the data set
    /// <paramref name="dataSet"/>, if any) and waits for its one response. A cancellation after the first byte left
    /// aborts the association (a half-sent or unanswered request cannot be released).
    /// </summary>
    private async Task<DimseResponse> RequestAsync(byte contextId, Func<ushort, DimseCommand> command, DicomDataset? dataSet, CancellationToken ct)
    {
        await _operation.WaitAsync(ct).ConfigureAwait(false);
        var aborting = false;
        try
        {
            var id = _service.NextMessageId();
            var request = command(id);
            var operation = _service.Begin(id, request.Field, multipleResponses: false);
            _inMessage = true;
            var syntax = DicomTransferSyntax.FromUid(_service.Contexts[contextId].TransferSyntax);
            _service.Send(contextId, request, dataSet is null ? null : s => DimseService.WriteDataSet(s, dataSet, syntax), ct: ct);
            _service.Sent(operation);
            var response = await AwaitAsync(operation, ct).ConfigureAwait(false);
            Expect(response, request.Field);
            _inMessage = false;
            return response;
        }
        catch (Exception) when (_inMessage && State is UlState.Sta6 or UlState.Sta7)
        {
            aborting = true;
            throw;
        }
        finally
        {
            _operation.Release();
            if (aborting)
                await AbortAsync().ConfigureAwait(false);
        }
    }

    private async Task<DimseResponse> AwaitAsync(DimseOperation operation, CancellationToken ct)
    {
        try
        {
            return await operation.Response.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _service.End(operation);
            throw;
        }
    }

    /// <summary>A response must answer the request it is routed to with the matching command (PS3.7 §9.3, §10.3).</summary>
    private void Expect(DimseResponse response, CommandField request)
    {
        var expected = (CommandField)((ushort)request | 0x8000);
        if (response.Command.Field != expected)
        {
            _service.AbortLocal($"{_service.Peer} answered {request} with {response.Command.Field}");
            throw new DicomAbortedException($"{_service.Peer} broke the protocol: expected {expected}, got {response.Command}; association aborted");
        }
    }

    // ---- DIMSE-N (PS3.7 §10): the requests of MPPS, Storage Commitment and the other normalized services ----------

    /// <summary>N-CREATE (PS3.7 §10.1.5): creates an instance with <paramref name="attributes"/>; a null instance lets the SCP make one up (in the response).</summary>
    public Task<DimseResponse> NCreateAsync(string sopClassUid, string? sopInstanceUid, DicomDataset attributes, CancellationToken ct = default) =>
        NRequestAsync(CommandField.NCreateRequest, sopClassUid, sopInstanceUid, attributes, null, ct);

    /// <summary>N-SET (PS3.7 §10.1.3): modifies the attributes of an instance.</summary>
    public Task<DimseResponse> NSetAsync(string sopClassUid, string sopInstanceUid, DicomDataset modifications, CancellationToken ct = default) =>
        NRequestAsync(CommandField.NSetRequest, sopClassUid, sopInstanceUid, modifications, null, ct);

    /// <summary>N-GET (PS3.7 §10.1.2): the attributes named (all when none are).</summary>
    public Task<DimseResponse> NGetAsync(string sopClassUid, string sopInstanceUid, IReadOnlyList<DicomTag> attributes, CancellationToken ct = default)
    {
        var context = NContext(sopClassUid);
        return RequestAsync(context, id =>
        {
            var command = DimseCommand.Request(CommandField.NGetRequest, id, sopClassUid, sopInstanceUid, hasDataSet: false);
            if (attributes.Count > 0)
                command.Dataset.AddOrUpdate(new DicomElement(DicomTags.AttributeIdentifierList, DicomVR.AT, DicomBuffer.From(TagList(attributes))));
            return command;
        }, null, ct);
    }

    /// <summary>N-ACTION (PS3.7 §10.1.4): asks the SCP to perform action <paramref name="actionTypeId"/> (Storage Commitment: 1, request commitment).</summary>
    public Task<DimseResponse> NActionAsync(string sopClassUid, string sopInstanceUid, ushort actionTypeId, DicomDataset? information, CancellationToken ct = default) =>
        NRequestAsync(CommandField.NActionRequest, sopClassUid, sopInstanceUid, information, actionTypeId, ct);

    /// <summary>N-EVENT-REPORT (PS3.7 §10.1.1): reports event <paramref name="eventTypeId"/> of an instance to the peer.</summary>
    public Task<DimseResponse> NEventReportAsync(string sopClassUid, string sopInstanceUid, ushort eventTypeId, DicomDataset? information, CancellationToken ct = default) =>
        NRequestAsync(CommandField.NEventReportRequest, sopClassUid, sopInstanceUid, information, eventTypeId, ct);

    private Task<DimseResponse> NRequestAsync(CommandField field, string sopClassUid, string? sopInstanceUid, DicomDataset? data, ushort? typeId, CancellationToken ct) =>
        RequestAsync(NContext(sopClassUid), id => DimseCommand.Request(field, id, sopClassUid, sopInstanceUid, data is not null, typeId), data, ct);

    private byte NContext(string sopClassUid)
    {
        var context = AcceptedContexts.FirstOrDefault(c => c.AbstractSyntax == sopClassUid && DicomTransferSyntax.FromUid(c.TransferSyntax).CanWrite);
        if (context.Id == 0)
            throw new DicomNetworkException($"{_service.Peer} did not accept {DicomUid.NameOf(sopClassUid)}: {WhyNotAccepted(sopClassUid)}");
        return context.Id;
    }

    private static byte[] TagList(IReadOnlyList<DicomTag> tags)
    {
        var bytes = new byte[tags.Count * 4];
        for (var i = 0; i < tags.Count; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 4), tags[i].Group);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 4 + 2), tags[i].Element);
        }
        return bytes;
    }

    /// <summary>
    /// Sends a Part 10 file. Its data set bytes go from disk to the socket as stored when the peer accepted the
    /// stored transfer syntax; otherwise it is converted between uncompressed syntaxes on the way, or not sent (with
    /// the reason) when it is compressed and the peer did not accept that compression.
    /// </summary>
    /// <summary>
    /// Sends the Part 10 file at <paramref name="path"/>: its header is read, then its bytes streamed, from one open file.
    /// <paramref name="progress"/> is called after each chunk sent (a sign of life for the service watchdog).
    /// </summary>
    public Task<DicomStoreResult> StoreAsync(string path, Action? progress = null, CancellationToken ct = default) => StoreAsync(path, null, progress, ct);

    /// <summary>
    /// As <see cref="StoreAsync(string, Action, CancellationToken)"/>, checking that the file's SHA-256 is
    /// <paramref name="expectedSha256"/> on the way: the bytes are hashed as they are read into the PDUs and the sum is
    /// checked before the last fragment leaves — no separate pass over the file. A mismatch aborts the association
    /// (the peer holds half a data set and never a completed object) and raises <see cref="PayloadMismatchException"/>.
    /// When the file must be converted to another syntax it is checked whole before anything is sent.
    /// </summary>
    public async Task<DicomStoreResult> StoreAsync(string path, byte[]? expectedSha256, Action? progress, CancellationToken ct)
    {
        using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return await StoreAsync(DicomFile.ReadHeader(source, Path.GetFullPath(path)), source, progress, ct, expectedSha256).ConfigureAwait(false);
    }

    /// <summary>
    /// As <see cref="StoreAsync(string, byte[], Action, CancellationToken)"/>, for a file the caller has open and whose
    /// header it read from that stream (<see cref="DicomFile.ReadHeader"/>): its bytes are sent from <paramref name="open"/>.
    /// </summary>
    public Task<DicomStoreResult> StoreAsync(DicomFile header, FileStream open, byte[]? expectedSha256, Action? progress, CancellationToken ct) =>
        StoreAsync(header, open, progress, ct, expectedSha256);

    public Task<DicomStoreResult> StoreAsync(DicomFile file, CancellationToken ct = default) => StoreAsync(file, null, null, ct);

    /// <summary>As <see cref="StoreAsync(DicomFile, CancellationToken)"/>; <paramref name="progress"/> is called after each batch of PDUs sent.</summary>
    public Task<DicomStoreResult> StoreAsync(DicomFile file, Action? progress, CancellationToken ct) => StoreAsync(file, null, progress, ct);

    private async Task<DicomStoreResult> StoreAsync(DicomFile file, FileStream? open, Action? progress, CancellationToken ct, byte[]? expectedSha256 = null)
    {
        // The command must name what the data set says it is; the file meta can disagree (pydicom's rtplan.dcm does).
        var sopClass = SopClassOf(file);
        var sopInstance = file.Dataset.TryGetString(DicomTags.SOPInstanceUID) ?? file.Meta.TryGetString(DicomTags.MediaStorageSOPInstanceUID) ?? "";
        if (sopClass.Length == 0 || sopInstance.Length == 0)
            return new DicomStoreResult(sopInstance, null, "the object has no SOP Class UID or SOP Instance UID");
        var candidates = AcceptedContexts.Where(c => c.AbstractSyntax == sopClass).ToList();
        if (candidates.Count == 0)
            return new DicomStoreResult(sopInstance, null, $"SOP class {DicomUid.NameOf(sopClass)}: {WhyNotAccepted(sopClass)}");

        var stored = file.TransferSyntax;
        var exact = candidates.FirstOrDefault(c => c.TransferSyntax == stored.Uid);
        string? convertTo = null;
        var chosen = exact;
        if (exact.Id == 0)
        {
            if (stored.IsEncapsulated)
                return new DicomStoreResult(sopInstance, null, $"stored as {stored.Name}, which the peer did not accept, and we cannot decompress it");
            chosen = candidates.FirstOrDefault(c => DicomTransferSyntax.FromUid(c.TransferSyntax).CanWrite);
            if (chosen.Id == 0)
                return new DicomStoreResult(sopInstance, null, $"no accepted transfer syntax we can convert {stored.Name} to");
            convertTo = DicomTransferSyntax.FromUid(chosen.TransferSyntax).Name;
        }

        await _operation.WaitAsync(ct).ConfigureAwait(false);
        var aborting = false;
        try
        {
            var id = _service.NextMessageId();
            var operation = _service.Begin(id, CommandField.CStoreRequest, multipleResponses: false);
            _inMessage = true;
            // The command waits in the write buffer and leaves with the first data: one system call for a small object.
            // One whole message under the send lock: a response to a request of the peer's waits for its end.
            lock (_service.SendLock)
            {
                using (var command = _service.Writer(chosen.Id, command: true, ct))
                {
                    command.Write(DimseCommand.StoreRequest(id, sopClass, sopInstance).Encode());
                    command.Complete(flush: false);
                }
                using var data = _service.Writer(chosen.Id, command: false, ct);
                if (convertTo is not null && !file.IsComplete)
                    file = DicomFile.Open(file.Path!);
                WriteDataset(file, open, DicomTransferSyntax.FromUid(chosen.TransferSyntax), convertTo is not null, data, progress, expectedSha256, ct);
                data.Complete(flush: true);
            }
            _service.Sent(operation);
            var response = await AwaitAsync(operation, ct).ConfigureAwait(false);
            Expect(response, CommandField.CStoreRequest);
            _inMessage = false;
            return new DicomStoreResult(sopInstance, response.Status, null, convertTo);
        }
        catch (Exception) when (_inMessage && State is UlState.Sta6 or UlState.Sta7)
        {
            // Stopped in the middle of a message (cancelled, a file that could not be read further): the peer holds
            // half a data set, so the association cannot be released — PS3.8 leaves A-ABORT (AA-1). Done below, after
            // the operation lock is given back.
            aborting = true;
            throw;
        }
        finally
        {
            _operation.Release();
            if (aborting)
                await AbortAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The SOP class an object is sent as: its data set's (the command must name what the data set says it is — the
    /// file meta can disagree, as in pydicom's rtplan.dcm), else its file meta's when the data set has none or one that
    /// is not a UID.
    /// </summary>
    public static string SopClassOf(DicomFile file)
    {
        var own = file.Dataset.TryGetString(DicomTags.SOPClassUID);
        if (own is not null && DicomUid.IsValid(own))
            return own;
        return file.Meta.TryGetString(DicomTags.MediaStorageSOPClassUID) is { } meta && DicomUid.IsValid(meta) ? meta : own ?? "";
    }

    private static void WriteDataset(DicomFile file, FileStream? open, DicomTransferSyntax target, bool convert, PDataWriteStream data, Action? progress, byte[]? expectedSha256, CancellationToken ct)
    {
        if (!convert && file.Path is { } path && file.DatasetOffset >= 0)
        {
            // Synchronous scatter reads from the page cache straight into the PDUs, written to the blocking socket
            // (see PDataWriteStream.CopyFrom and Association.SendPData): one copy per byte, no thread-pool hop.
            using var owned = open is null ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan) : null;
            var source = open ?? owned!;
            ct.ThrowIfCancellationRequested();
            using var hash = expectedSha256 is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            if (hash is not null)
                AppendRange(hash, source.SafeFileHandle, 0, file.DatasetOffset); // the preamble and file meta are not sent, but summed
            data.CopyFrom(source.SafeFileHandle, file.DatasetOffset, () =>
            {
                ct.ThrowIfCancellationRequested();
                progress?.Invoke();
            }, hash);
            // The last PDU is still ours: a file that is not what was stored is aborted before its last fragment.
            if (hash is not null)
                Check(hash.GetHashAndReset(), expectedSha256!);
            return;
        }
        // Converting (or an object built in memory): encode the data set in the accepted syntax — after checking the
        // file whole, since what is sent is not its bytes.
        if (expectedSha256 is not null)
        {
            if (open is not null)
                CheckWhole(open, expectedSha256);
            else
            {
                using var check = new FileStream(file.Path ?? throw new InvalidOperationException("an object built in memory has no file to check"),
                    FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                CheckWhole(check, expectedSha256);
            }
        }
        data.Sent = progress;
        DimseService.WriteDataSet(data, file.Dataset, target);
    }

    private static void AppendRange(IncrementalHash hash, Microsoft.Win32.SafeHandles.SafeFileHandle file, long from, long to)
    {
        var buffer = new byte[(int)Math.Min(Math.Max(to - from, 1), 64 * 1024)];
        while (from < to)
        {
            var n = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, to - from)), from);
            if (n == 0)
                throw new IOException($"the file ended at {from}, before its data set at {to}");
            hash.AppendData(buffer.AsSpan(0, n));
            from += n;
        }
    }

    private static void CheckWhole(FileStream open, byte[] expected)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendRange(hash, open.SafeFileHandle, 0, RandomAccess.GetLength(open.SafeFileHandle));
        Check(hash.GetHashAndReset(), expected);
    }

    private static void Check(byte[] actual, byte[] expected)
    {
        if (!actual.AsSpan().SequenceEqual(expected))
            throw new PayloadMismatchException($"checksum mismatch: stored {Convert.ToHexStringLower(expected)}, found {Convert.ToHexStringLower(actual)}");
    }

    /// <summary>Releases the association (AR-1, then AR-3 on the A-RELEASE-RP; a release collision as the table says).</summary>
    public async Task ReleaseAsync(CancellationToken ct = default)
    {
        if (_inMessage)
        {
            // Never A-RELEASE-RQ after half a message: abort instead (PS3.8 §7.1, §9.3.2 AA-1).
            await AbortAsync().ConfigureAwait(false);
            return;
        }
        await _operation.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _service.ReleaseAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _operation.Release();
        }
    }

    /// <summary>Aborts the association (AA-1) and waits, at most the ARTIM time, for the peer to close.</summary>
    public async Task AbortAsync()
    {
        _service.AbortLocal("aborted by the local user");
        using var artim = new CancellationTokenSource(_options.ArtimTimeout);
        try
        {
            await _service.Closing.WaitAsync(artim.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _service.Association.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (State == UlState.Sta6)
            await ReleaseAsync().ConfigureAwait(false);
        _service.Association.Dispose();
        _operation.Dispose();
    }
}
