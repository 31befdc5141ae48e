using System.Text.Json.Nodes;

namespace Gateway.Testing;

/// <summary>One request the dcmjs SCU (Dcmjs/scu.js) sends; data sets in the DICOM JSON model (PS3.18 F).</summary>
public sealed record DcmjsRequest
{
    public const string Verification = "1.2.840.10008.1.1";
    public const string ModalityPerformedProcedureStep = "1.2.840.10008.3.1.2.3.3";
    public const string StorageCommitmentPushModel = "1.2.840.10008.1.20.1";
    public const string StorageCommitmentPushModelInstance = "1.2.840.10008.1.20.1.1";
    public const string ModalityWorklistFind = "1.2.840.10008.5.1.4.31";

    public required string Command { get; init; }
    public string? SopClass { get; init; }
    public string? SopInstance { get; init; }
    public JsonObject? Dataset { get; init; }
    public int? ActionTypeId { get; init; }
    public int? EventTypeId { get; init; }

    /// <summary>N-GET: the Attribute Identifier List as "GGGGEEEE" tags (empty asks for all).</summary>
    public IReadOnlyList<string> Attributes { get; init; } = [];

    /// <summary>C-STORE: the Part 10 file sent (its SOP class and instance make the command).</summary>
    public string? File { get; init; }

    /// <summary>C-STORE of a Part 10 file; one presentation context per SOP class, its transfer syntax proposed first.</summary>
    public static DcmjsRequest CStore(string file) => new() { Command = "C-STORE", File = file };

    public static DcmjsRequest Echo() => new() { Command = "C-ECHO" };

    /// <summary>N-CREATE; a null SOP Instance UID is left out of the command for the SCP to choose (PS3.7 10.3.5).</summary>
    public static DcmjsRequest NCreate(string? sopInstance, JsonObject dataset, string sopClass = ModalityPerformedProcedureStep) =>
        new() { Command = "N-CREATE", SopClass = sopClass, SopInstance = sopInstance, Dataset = dataset };

    public static DcmjsRequest NSet(string sopInstance, JsonObject dataset, string sopClass = ModalityPerformedProcedureStep) =>
        new() { Command = "N-SET", SopClass = sopClass, SopInstance = sopInstance, Dataset = dataset };

    public static DcmjsRequest NGet(string sopInstance, string sopClass = ModalityPerformedProcedureStep, params string[] attributes) =>
        new() { Command = "N-GET", SopClass = sopClass, SopInstance = sopInstance, Attributes = attributes };

    /// <summary>N-ACTION, by default the storage commitment request (action type 1 on the well-known instance).</summary>
    public static DcmjsRequest NAction(JsonObject? dataset, int actionTypeId = 1, string sopClass = StorageCommitmentPushModel,
        string sopInstance = StorageCommitmentPushModelInstance) =>
        new() { Command = "N-ACTION", SopClass = sopClass, SopInstance = sopInstance, ActionTypeId = actionTypeId, Dataset = dataset };

    public static DcmjsRequest NEventReport(int eventTypeId, JsonObject? dataset, string sopClass = StorageCommitmentPushModel,
        string sopInstance = StorageCommitmentPushModelInstance) =>
        new() { Command = "N-EVENT-REPORT", SopClass = sopClass, SopInstance = sopInstance, EventTypeId = eventTypeId, Dataset = dataset };

    public static DcmjsRequest CFind(JsonObject identifier, string sopClass = ModalityWorklistFind) =>
        new() { Command = "C-FIND", SopClass = sopClass, Dataset = identifier };

    /// <summary>The storage commitment request's data set (PS3.4 J.3.2.1): Transaction UID and Referenced SOP Sequence.</summary>
    public static JsonObject CommitmentDataset(string transactionUid, params (string SopClass, string SopInstance)[] instances) =>
        DicomJson.Dataset(
            ("00081195", DicomJson.Element("UI", transactionUid)),
            ("00081199", DicomJson.Sequence([.. instances.Select(i => DicomJson.Dataset(
                ("00081150", DicomJson.Element("UI", i.SopClass)),
                ("00081155", DicomJson.Element("UI", i.SopInstance))))])));

    internal JsonObject ToJson()
    {
        var o = new JsonObject { ["command"] = Command };
        if (SopClass is not null)
            o["sopClass"] = SopClass;
        if (SopInstance is not null)
            o["sopInstance"] = SopInstance;
        if (ActionTypeId is { } a)
            o["actionTypeId"] = a;
        if (EventTypeId is { } e)
            o["eventTypeId"] = e;
        if (Attributes.Count > 0)
            o["attributes"] = new JsonArray([.. Attributes.Select(t => JsonValue.Create(t))]);
        if (Dataset is not null)
            o["dataset"] = Dataset.DeepClone();
        if (File is not null)
            o["file"] = File;
        return o;
    }
}
