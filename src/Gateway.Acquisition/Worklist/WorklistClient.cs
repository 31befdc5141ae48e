using Gateway.Dicom;
using Gateway.Dicom.Network;

namespace Gateway.Acquisition.Worklist;

/// <summary>
/// Modality Worklist Information Model – FIND as SCU (PS3.4 K.6, IHE SWF RAD-5) on the C-FIND SCU of the network
/// core: one association per query, Explicit then Implicit VR Little Endian proposed, every match read through
/// <see cref="WorklistItemReader"/> (kept, with its problems named). A refused or failed query is an outcome
/// (<see cref="WorklistFetch.Problem"/>); a connection that cannot be made or breaks is a <see cref="DicomNetworkException"/>.
/// </summary>
public static class WorklistClient
{
    /// <summary>More matches than this are not a day's work of one station: the query is cancelled and said to be too wide.</summary>
    public const int MaxMatches = WorklistCache.MaxItems;

    public static async Task<WorklistFetch> QueryAsync(DicomClientOptions options, WorklistQuery query, DateOnly today, CancellationToken ct)
    {
        var sopClass = DicomUids.ModalityWorklistInformationModelFind;
        var association = await DicomClient.OpenAsync(options,
            [new PresentationContextProposal(1, sopClass, [DicomUids.ExplicitVRLittleEndian, DicomUids.ImplicitVRLittleEndian])], ct).ConfigureAwait(false);
        await using (association.ConfigureAwait(false))
        {
            var items = new List<WorklistItem>();
            await foreach (var response in association.FindAsync(sopClass, query.Identifier(today), ct).ConfigureAwait(false))
            {
                if (response.IsPending)
                {
                    if (items.Count == MaxMatches)
                        return WorklistFetch.Failed($"more than {MaxMatches} matches: narrow worklist.query"); // leaving sends C-CANCEL
                    items.Add(response.Identifier is { } match ? WorklistItemReader.Read(match)
                        : new WorklistItem { Identifier = new DicomDataset(), Problems = ["the pending response carries no identifier"] });
                    continue;
                }
                return response.Status.IsSuccess ? new WorklistFetch(Order(items), null)
                    : WorklistFetch.Failed($"the query ended with {response.Status} after {items.Count} match(es)");
            }
            return WorklistFetch.Failed("the SCP ended the query without a final status");
        }
    }

    /// <summary>By scheduled start (steps without a readable one last), then step ID: the order a technician works in.</summary>
    internal static List<WorklistItem> Order(IEnumerable<WorklistItem> items) =>
        [.. items.OrderBy(i => i.StepStartDate ?? DateOnly.MaxValue).ThenBy(i => i.StepStartTime ?? TimeOnly.MaxValue).ThenBy(i => i.StepId, StringComparer.Ordinal)];
}
