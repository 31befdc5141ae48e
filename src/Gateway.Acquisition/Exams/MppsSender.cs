using System.Globalization;
using Gateway.Acquisition.Forwarding;
using Gateway.Dicom;
using Gateway.Dicom.Network;
using Gateway.Shared;
using Microsoft.Extensions.Logging;

namespace Gateway.Acquisition.Exams;

/// <summary>
/// Sends the MPPS queue to the MPPS SCP (issue #17, IHE RAD-6/RAD-7), one message at a time in queue order, each on
/// its own association (the SCP is a RIS, not a PACS: a few messages an exam). Outcomes (docs/conformance.md "MPPS
/// SCU"): success or warning → sent; N-CREATE answered 0111 (duplicate SOP instance) → sent: the PPS SOP Instance UID
/// is ours and unique, so the instance exists only because an earlier attempt of ours got through (its answer lost to
/// a crash or a broken connection); likewise a final N-SET answered 0110 (may no longer be updated) after an earlier
/// attempt of it (attempts are counted durably before each request); A7xx and 0213 (out of resources) and every transport failure (refused connection,
/// rejected association or presentation context, abort, timeout, TLS) → retried after the forwarder's back-off
/// (retryMinSeconds doubling to retryMaxSeconds, ±20 %), the message staying first in line; any other failure → the
/// message fails, visibly, and holds the later messages of its exam. The loop runs under the service's Supervisor.
/// </summary>
public sealed class MppsSender(MppsQueue queue, DicomClientOptions client, TimeSpan retryMin, TimeSpan retryMax, ILogger log, TimeProvider? time = null) : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(5);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private bool _down;

    private Destination AsDestination => new() { Name = "mpps", Client = client, RetryMin = retryMin, RetryMax = retryMax };

    private string Peer => $"{client.Host}:{client.Port.ToString(CultureInfo.InvariantCulture)}";

    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // already awake
        }
    }

    public async Task RunAsync(CancellationToken ct)
    {
        queue.Changed += Wake;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var now = _time.GetUtcNow();
                if (queue.NextDue(now) is { } message)
                {
                    await SendAsync(message, ct).ConfigureAwait(false);
                    continue;
                }
                var wait = queue.NextAttemptTime() is { } next && next - now < Poll ? next - now : Poll;
                if (wait < TimeSpan.Zero)
                    wait = TimeSpan.Zero;
                await _wake.WaitAsync(wait, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            queue.Changed -= Wake;
        }
    }

    /// <summary>One attempt; the outcome is written to the queue (durably) before the next message is looked at.</summary>
    public async Task SendAsync(MppsMessage message, CancellationToken ct)
    {
        // The attempt is counted durably before the request goes out: a retry then knows an earlier one may have
        // reached the SCP (a crash after sending, an answer lost), which is how its 0111 / 0110 is judged.
        message = message with { Attempts = message.Attempts + 1 };
        queue.Update(message);
        string? transient;
        try
        {
            var contexts = new[] { new PresentationContextProposal(1, DicomUids.ModalityPerformedProcedureStep, [DicomUids.ExplicitVRLittleEndian, DicomUids.ImplicitVRLittleEndian]) };
            var association = await DicomClient.OpenAsync(client, contexts, ct).ConfigureAwait(false);
            await using (association.ConfigureAwait(false))
            {
                if (!association.AcceptedContexts.Any(c => c.AbstractSyntax == DicomUids.ModalityPerformedProcedureStep))
                {
                    transient = "MPPS not accepted: " + association.WhyNotAccepted(DicomUids.ModalityPerformedProcedureStep);
                }
                else
                {
                    // The same request every time (same UID, same attributes); the character set is chosen for its text.
                    var dataset = MppsDatasets.WithCharacterSet(Copy(message.Dataset));
                    // Counted durably before it leaves: a later 0110 to this N-SET is judged by whether one left before.
                    var sentBefore = message.Sent;
                    message = message with { Sent = message.Sent + 1 };
                    queue.Update(message);
                    var response = message.Command == MppsMessage.Create
                        ? await association.NCreateAsync(DicomUids.ModalityPerformedProcedureStep, message.PpsUid, dataset, ct).ConfigureAwait(false)
                        : await association.NSetAsync(DicomUids.ModalityPerformedProcedureStep, message.PpsUid, dataset, ct).ConfigureAwait(false);
                    await association.ReleaseAsync(ct).ConfigureAwait(false);
                    Back();
                    Outcome(message, response.Status, sentBefore);
                    return;
                }
            }
        }
        catch (Exception e) when (e is DicomNetworkException or IOException or TimeoutException or System.Net.Sockets.SocketException
            or System.Security.Authentication.AuthenticationException or System.Security.Cryptography.CryptographicException
            || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            transient = e.Message;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not a network trouble (a value that cannot be encoded, a bug): retrying would block every later exam
            // behind it for ever. Failed, visibly, with the reason; `gateway spool retry` puts it back.
            queue.Update(message with { State = MppsState.Failed, LastError = LogText.Bounded($"{e.GetType().Name}: {e.Message}") });
            ExamLog.MppsRefused(log, message.Command, message.Id, message.Exam, client.CalledAE, LogText.Bounded($"not sent: {e.GetType().Name}: {e.Message}"));
            return;
        }
        Retry(message, LogText.Bounded(transient));
    }

    private void Outcome(MppsMessage message, DicomStatus status, int sentBefore)
    {
        // Our UID is never reused, so 0111 to an N-CREATE means an earlier attempt created it; 0110 to a final N-SET
        // that was attempted before means an earlier attempt already finished the step (it "may no longer be updated").
        var duplicate = (message.Command == MppsMessage.Create && status.Code == 0x0111)
            || (message.Command == MppsMessage.Set && status.Code == 0x0110 && sentBefore > 0);
        if (status.IsSuccess || duplicate)
        {
            // Taken as done is said as such (8023, a warning, and in `spool list`), never as "accepted" (8020).
            queue.Update(message with
            {
                State = MppsState.Sent,
                LastError = duplicate ? LogText.Bounded($"taken as done: answered {status}, an earlier attempt reached the SCP")
                    : status.Code == 0 ? null : LogText.Bounded(status.ToString()),
            });
            if (duplicate)
                ExamLog.MppsDuplicate(log, message.Command, message.Id, message.PpsUid, LogText.Bounded(status.ToString()));
            else
                ExamLog.MppsSent(log, message.Command, message.Status, message.Exam, message.PpsUid, client.CalledAE, LogText.Bounded(status.ToString()));
            return;
        }
        if (status.Code is >= 0xA700 and <= 0xA7FF or 0x0213)
        {
            Retry(message, LogText.Bounded($"{client.CalledAE} answered {status}"));
            return;
        }
        queue.Update(message with { State = MppsState.Failed, LastError = LogText.Bounded($"{client.CalledAE} answered {status}") });
        ExamLog.MppsRefused(log, message.Command, message.Id, message.Exam, client.CalledAE, LogText.Bounded(status.ToString()));
    }

    private void Retry(MppsMessage message, string reason)
    {
        var delay = Forwarder.Backoff(AsDestination, message.Attempts - 1, Random.Shared.NextDouble());
        queue.Update(message with { LastError = reason, NextAttempt = _time.GetUtcNow() + delay });
        if (!_down || message.Attempts == 1)
            ExamLog.MppsRetry(log, client.CalledAE, Peer, message.Id, message.Command, reason, delay.TotalSeconds);
        _down = true;
    }

    private void Back()
    {
        if (_down)
            ExamLog.MppsBack(log, client.CalledAE, Peer);
        _down = false;
    }

    public void Dispose() => _wake.Dispose();

    private static DicomDataset Copy(DicomDataset ds)
    {
        var copy = new DicomDataset();
        foreach (var item in ds)
            copy.AddOrUpdate(item);
        return copy;
    }
}
