using System.Security.Cryptography;
using System.Text;

namespace Gateway.Acquisition.Worklist;

/// <summary>
/// The handle of a worklist step for the page (WorklistRow.Key, issue #17): the first 32 hex digits of SHA-256 over
/// Study Instance UID, Requested Procedure ID and Scheduled Procedure Step ID (separated by U+001F) — the three keys
/// that name one step of one requested procedure (PS3.4 K.6: one step per match), so the same step has the same key
/// in every refresh, and the key says nothing about the patient.
/// </summary>
public static class WorklistStepKey
{
    public static string Of(WorklistItem item) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{item.StudyInstanceUid}\u001f{item.RequestedProcedureId}\u001f{item.StepId}")))[..32];
}
