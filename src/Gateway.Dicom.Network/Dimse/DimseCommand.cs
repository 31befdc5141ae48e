using System.Buffers.Binary;

namespace Gateway.Dicom.Network;

/// <summary>Command Field values (PS3.7 §E.1).</summary>
public enum CommandField : ushort
{
    CStoreRequest = 0x0001,
    CStoreResponse = 0x8001,
    CEchoRequest = 0x0030,
    CEchoResponse = 0x8030,
    CFindRequest = 0x0020,
    CFindResponse = 0x8020,
    CCancelRequest = 0x0FFF,
}

/// <summary>
/// A DIMSE command set (group 0000, always Implicit VR Little Endian, PS3.7 §6.3 and Annex E), with the group length
/// written first as the standard requires.
/// </summary>
public sealed class DimseCommand
{
    /// <summary>Command Data Set Type value meaning "no data set follows".</summary>
    public const ushort NoDataSet = 0x0101;

    public DimseCommand(DicomDataset dataset) => Dataset = dataset;

    public DicomDataset Dataset { get; }

    public CommandField Field => (CommandField)Dataset.GetInt(DicomTags.CommandField);
    public ushort MessageId => (ushort)Dataset.GetInt(DicomTags.MessageID);
    public ushort RespondedTo => (ushort)Dataset.GetInt(DicomTags.MessageIDBeingRespondedTo);
    public bool HasDataSet => Dataset.Contains(DicomTags.CommandDataSetType) && Dataset.GetInt(DicomTags.CommandDataSetType) != NoDataSet;
    public string AffectedSopClassUid => Dataset.TryGetString(DicomTags.AffectedSOPClassUID) ?? "";
    public string AffectedSopInstanceUid => Dataset.TryGetString(DicomTags.AffectedSOPInstanceUID) ?? "";
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

    public override string ToString() => $"{Field} #{(Field is CommandField.CEchoRequest or CommandField.CStoreRequest ? MessageId : RespondedTo)}";
}
