using System.Collections.Concurrent;
using Gateway.Spool;

namespace Gateway.Host.Service;

/// <summary>Per destination, since start: the last confirmed send and the failed attempts (for health and the status page).</summary>
internal sealed class DeliveryStats
{
    private readonly ConcurrentDictionary<string, (DateTimeOffset? LastSuccess, long Failures)> _byDestination = new(StringComparer.Ordinal);

    public void Observe(SpoolEvent e, DateTimeOffset now)
    {
        if (e.Destination is not { } d)
            return;
        if (e.Kind == SpoolEvent.Sent)
            _byDestination.AddOrUpdate(d, _ => (now, 0), (_, s) => (now, s.Failures));
        else if (e.Kind is SpoolEvent.RetryScheduled or SpoolEvent.DeadLettered)
            _byDestination.AddOrUpdate(d, _ => (null, 1), (_, s) => (s.LastSuccess, s.Failures + 1));
    }

    public (DateTimeOffset? LastSuccess, long Failures) Of(string destination) => _byDestination.GetValueOrDefault(destination);
}
