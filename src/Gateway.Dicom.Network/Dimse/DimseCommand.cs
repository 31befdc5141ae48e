using System.Buffers.Binary;

namespace Gateway.Dicom.Network;

/// <summary>Command Field values (PS3.7 §E.1).</summary>
public enum CommandField : ushort
{
    CStoreRequest = 0x0001,
    CStoreResponse = 0x8001,
    CEchoRequest = 0x0030,
    CEchoResponse = 0x8030,
    CGetRequest = 0x0010,
    CGetResponse = 0x8010,
    CFindRequest = 0x0020,
    CFindResponse = 0x8020,
    CMoveRequest = 0x0021,
    CMoveResponse = 0x8021,
    CCancelRequest = 0x0FFF,
    NEventReportRequest = 0x0100,
    NEventReportResponse = 0x8100,
    NGetRequest = 0x0110,
    NGetResponse = 0x8110,
    NSetRequest = 0x0120,
    NSetResponse = 0x8120,
    NActionRequest = 0x0130,
    NActionResponse = 0x8130,
    NCreateRequest = 0x0140,
    NCreateResponse = 0x8140,
    NDeleteRequest = 0x0150,
    NDeleteResponse = 0x8150,
}

/// <summary>
/// A DIMSE command set (group 0000, always Implicit VR Little Endian, PS3.7 §6.3 and Annex E), with the group length
/// written first as the standard requires.
/// </summary>
public sealed class DimseCommand
{
    /// <summary>Command Data Set Type value meaning "no data set follows".</summary>
    public const ushort NoDataSet = 0x0101;

    /// <summary>A Command Data Set Type value meaning "a data set follows" (any value but 0101H; 0000H by convention).</summary>
    public const ushort DataSetPresent = 0x0000;

    public DimseCommand(DicomDataset dataset) => Dataset = dataset;

    public DicomDataset Dataset { get; }

    public CommandField Field => (CommandField)Dataset.GetInt(DicomTags.CommandField);
    public ushort MessageId => (ushort)Dataset.GetInt(DicomTags.MessageID);
    public ushort RespondedTo => (ushort)Dataset.GetInt(DicomTags.MessageIDBeingRespondedTo);
    public bool HasDataSet => Dataset.Contains(DicomTags.CommandDataSetType) && Dataset.GetInt(DicomTags.CommandDataSetType) != NoDataSet;
    public string AffectedSopClassUid => Dataset.TryGetString(DicomTags.AffectedSOPClassUID) ?? "";
    public string AffectedSopInstanceUid => Dataset.TryGetString(DicomTags.AffectedSOPInstanceUID) ?? "";
    public string RequestedSopClassUid => Dataset.TryGetString(DicomTags.RequestedSOPClassUID) ?? "";
    public string RequestedSopInstanceUid => Dataset.TryGetString(DicomTags.RequestedSOPInstanceUID) ?? "";
    /// <summary>The SOP class the message is about: Affected, else Requested (N-GET, N-SET, N-ACTION, N-DELETE name it so).</summary>
    public string SopClassUid => AffectedSopClassUid is { Length: > 0 } a ? a : RequestedSopClassUid;
    /// <summary>The SOP instance the message is about: Affected, else Requested.</summary>
    public string SopInstanceUid => AffectedSopInstanceUid is { Length: > 0 } a ? a : RequestedSopInstanceUid;
    public bool IsResponse => ((ushort)Field & 0x8000) != 0;
    public ushort? EventTypeId => Dataset.Contains(DicomTags.EventTypeID) ? (ushort)Dataset.GetInt(DicomTags.EventTypeID) : null;
    public ushort? ActionTypeId => Dataset.Contains(DicomTags.ActionTypeID) ? (ushort)Dataset.GetInt(DicomTags.ActionTypeID) : null;

    /// <summary>Requests whose SOP class and instance are "Requested" (0000,0003)/(0000,1001) rather than "Affected" (PS3.7 §10.3).</summary>
    private static bool NamesRequested(CommandField field) =>
        field is CommandField.NGetRequest or CommandField.NSetRequest or CommandField.NActionRequest or CommandField.NDeleteRequest;

    /// <summary>
    /// A request of any DIMSE-N service, or of a DIMSE-C service without a priority (PS3.7 §10.3): the SOP class and
    /// instance go in the Affected or Requested elements as the service says; <paramref name="typeId"/> is the Event
    /// Type ID (N-EVENT-REPORT) or Action Type ID (N-ACTION).
    /// </summary>
    public static DimseCommand Request(CommandField field, ushort messageId, string sopClassUid, string? sopInstanceUid, bool hasDataSet, ushort? typeId = null)
    {
        var requested = NamesRequested(field);
        var ds = new DicomDataset()
            .Set(requested ? DicomTags.RequestedSOPClassUID : DicomTags.AffectedSOPClassUID, DicomVR.UI, sopClassUid)
            .Set(DicomTags.CommandField, (ushort)field)
            .Set(DicomTags.MessageID, messageId)
            .Set(DicomTags.CommandDataSetType, hasDataSet ? DataSetPresent : NoDataSet);
        if (sopInstanceUid is { Length: > 0 })
            ds.Set(requested ? DicomTags.RequestedSOPInstanceUID : DicomTags.AffectedSOPInstanceUID, DicomVR.UI, sopInstanceUid);
        if (typeId is { } id)
            ds.Set(field == CommandField.NActionRequest ? DicomTags.ActionTypeID : DicomTags.EventTypeID, id);
        return new DimseCommand(ds);
    }

    /// <summary>
    /// The response to <paramref name="request"/> (PS3.7 §9.3 and §10.3): its command field with bit 15 set, the
    /// request's message id, the SOP class and instance as Affected (the instance a N-CREATE SCP made up, if given),
    /// the Event or Action Type ID echoed, the status and its comment.
    /// </summary>
    public static DimseCommand ResponseTo(DimseCommand request, DicomStatus status, bool hasDataSet, string? sopInstanceUid = null)
    {
        var ds = new DicomDataset()
            .Set(DicomTags.CommandField, (ushort)((ushort)request.Field | 0x8000))
            .Set(DicomTags.MessageIDBeingRespondedTo, request.MessageId)
            .Set(DicomTags.CommandDataSetType, hasDataSet ? DataSetPresent : NoDataSet)
            .Set(DicomTags.Status, status.Code);
        // Received UIDs are echoed as they came (validated as UIDs where they were used).
        if (request.SopClassUid is { Length: > 0 } sopClass)
            ds.AddOrUpdate(new DicomElement(DicomTags.AffectedSOPClassUID, DicomVR.UI, DicomBuffer.From(System.Text.Encoding.ASCII.GetBytes(sopClass))));
        if ((sopInstanceUid ?? request.SopInstanceUid) is { Length: > 0 } instance)
            ds.AddOrUpdate(new DicomElement(DicomTags.AffectedSOPInstanceUID, DicomVR.UI, DicomBuffer.From(System.Text.Encoding.ASCII.GetBytes(instance))));
        if (request.Field == CommandField.NEventReportRequest && request.EventTypeId is { } eventType)
            ds.Set(DicomTags.EventTypeID, eventType);
        if (request.Field == CommandField.NActionRequest && request.ActionTypeId is { } actionType)
            ds.Set(DicomTags.ActionTypeID, actionType);
        if (status.ErrorComment is { Length: > 0 } comment && status.Category is not DicomStatusCategory.Success)
            ds.Set(DicomTags.ErrorComment, comment.Length > 64 ? comment[..64] : comment);
        return new DimseCommand(ds);
    }
    public DicomStatus Status => new((ushort)Dataset.GetInt(DicomTags.Status), Dataset.TryGetString(DicomTags.ErrorComment));

    public static DimseCommand EchoRequest(ushort messageId) => new(new DicomDataset()
        .Set(DicomTags.AffectedSOPClassUID, DicomUids.Verification)
        .Set(DicomTags.CommandField, (ushort)CommandField.CEchoRequest)
        .Set(DicomTags.MessageID, messageId)
        .Set(DicomTags.CommandDataSetType, NoDataSet));

    public static DimseCommand EchoResponse(ushort respondedTo, DicomStatus status) => new(new DicomDataset()
        .Set(DicomTags.AffectedSOPClassUID, DicomUids.Verification)
        .Set(DicomTags.CommandField, (ushort)CommandField.CEchoResponse)
        .Set(DicomTags.MessageIDBeingRespondedTo, respondedTo)
        .Set(DicomTags.CommandDataSetType, NoDataSet)
        .Set(DicomTags.Status, status.Code));

    public static DimseCommand StoreRequest(ushort messageId, string sopClassUid, string sopInstanceUid, ushort priority = 0) => new(new DicomDataset()
        .Set(DicomTags.AffectedSOPClassUID, DicomVR.UI, sopClassUid)
        .Set(DicomTags.CommandField, (ushort)CommandField.CStoreRequest)
        .Set(DicomTags.MessageID, messageId)
        .Set(DicomTags.Priority, priority)
        .Set(DicomTags.CommandDataSetType, (ushort)0x0000)
        .Set(DicomTags.AffectedSOPInstanceUID, DicomVR.UI, sopInstanceUid));

    public static DimseCommand StoreResponse(ushort respondedTo, string sopClassUid, string sopInstanceUid, DicomStatus status)
    {
        var ds = new DicomDataset()
            .Set(DicomTags.CommandField, (ushort)CommandField.CStoreResponse)
            .Set(DicomTags.MessageIDBeingRespondedTo, respondedTo)
            .Set(DicomTags.CommandDataSetType, NoDataSet)
            .Set(DicomTags.Status, status.Code);
        // Received UIDs are echoed as text; they were validated as UIDs when the object was accepted.
        if (sopClassUid.Length > 0)
            ds.AddOrUpdate(new DicomElement(DicomTags.AffectedSOPClassUID, DicomVR.UI, DicomBuffer.From(System.Text.Encoding.ASCII.GetBytes(sopClassUid))));
        if (sopInstanceUid.Length > 0)
            ds.AddOrUpdate(new DicomElement(DicomTags.AffectedSOPInstanceUID, DicomVR.UI, DicomBuffer.From(System.Text.Encoding.ASCII.GetBytes(sopInstanceUid))));
        if (status.ErrorComment is { Length: > 0 } comment)
            ds.Set(DicomTags.ErrorComment, comment.Length > 64 ? comment[..64] : comment);
        return new DimseCommand(ds);
    }

    /// <summary>C-FIND-RQ (PS3.7 §9.3.2.1): an identifier follows as its data set.</summary>
    public static DimseCommand FindRequest(ushort messageId, string sopClassUid, ushort priority = 0) => new(new DicomDataset()
        .Set(DicomTags.CommandField, (ushort)CommandField.CFindRequest)
        .Set(DicomTags.MessageID, messageId)
        .Set(DicomTags.Priority, priority)
        .Set(DicomTags.CommandDataSetType, (ushort)0x0102)
        .Set(DicomTags.AffectedSOPClassUID, DicomVR.UI, sopClassUid));

    /// <summary>C-CANCEL-RQ (PS3.7 §9.3.2.3) for the operation of <paramref name="respondedTo"/>.</summary>
    public static DimseCommand CancelRequest(ushort respondedTo) => new(new DicomDataset()
        .Set(DicomTags.CommandField, (ushort)CommandField.CCancelRequest)
        .Set(DicomTags.MessageIDBeingRespondedTo, respondedTo)
        .Set(DicomTags.CommandDataSetType, NoDataSet));

    /// <summary>Encodes the command set: Command Group Length first, then the other elements (Implicit VR LE).</summary>
    public byte[] Encode()
    {
        using var body = new MemoryStream(128);
        var rest = new DicomDataset(Dataset.Where(i => i.Tag != DicomTags.CommandGroupLength));
        new DicomWriter(body, explicitVR: false).WriteDataset(rest);
        var result = new byte[12 + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(result, 0x00000000); // (0000,0000)
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)body.Length);
        body.ToArray().CopyTo(result, 12);
        return result;
    }

    /// <summary>Parses a received command set; a malformed one is a protocol error.</summary>
    public static DimseCommand Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var file = DicomFile.ReadDataset(new MemoryStream(bytes.ToArray()), DicomTransferSyntax.ImplicitVRLittleEndian);
            var command = new DimseCommand(file);
            _ = command.Field;
            return command;
        }
        catch (Exception e) when (e is DicomFormatException or KeyNotFoundException or DicomValueException or InvalidCastException)
        {
            throw new DicomProtocolException($"malformed DIMSE command set: {e.Message}", AbortReason.InvalidPduParameterValue);
        }
    }

    public override string ToString() => $"{Field} #{(IsResponse || Field == CommandField.CCancelRequest ? RespondedTo : MessageId)}";
}
