using Gateway.Dicom;
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
    Task<SendOutcome> SendAsync(string path, string sopClassUid, string transferSyntaxUid, string? sha256, Action progress, CancellationToken ct);
    /// <summary>Releases the association if one is open.</summary>
    Task CloseAsync();
}

/// <summary>C-STORE over a reused association; reopened when an object needs a presentation context it lacks.</summary>
public sealed class DicomObjectSender(DicomClientOptions options) : IObjectSender
{
    private DicomClientAssociation? _association;
    private readonly HashSet<(string, string)> _proposed = [];

    public async Task<SendOutcome> SendAsync(string path, string sopClassUid, string transferSyntaxUid, string? sha256, Action progress, CancellationToken ct)
    {
        try
        {
            if (_association is null || !_proposed.Contains((sopClassUid, transferSyntaxUid)))
            {
                await CloseAsync().ConfigureAwait(false);
                _proposed.Add((sopClassUid, transferSyntaxUid));
                _association = await DicomClient.OpenAsync(options, PresentationContextPlanner.Plan(_proposed), ct).ConfigureAwait(false);
            }
            var expected = sha256 is null ? null : Convert.FromHexString(sha256);
            return SendOutcome.From(await _association.StoreAsync(path, expected, progress, ct).ConfigureAwait(false));
        }
        catch (PayloadMismatchException)
        {
            _association = null; // aborted under us
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
