namespace Gateway.Telemetry.Fleet;

/// <summary>
/// Every box of the fleet, fed only from the broker (issue #21): the retained status and health a subscriber gets at
/// once, then the stream. Nothing else is kept, so several views can run side by side and a restarted one is whole
/// again as soon as the retained messages arrive (at the latest after one health interval). Bounded: at most
/// <see cref="FleetOptions.MaxBoxes"/> boxes, <see cref="FleetOptions.EventsPerBox"/> events each, payloads of
/// <see cref="FleetOptions.MaxPayloadBytes"/>. A message that is not what a box sends is counted by reason and
/// dropped; it never changes what is shown. Thread-safe (one lock; a thousand boxes send a few hundred messages a
/// second).
/// </summary>
public sealed class FleetState
{
    /// <summary>&lt;prefix&gt;/fleet/… is the fleet view's own (alarms): no box may be called that.</summary>
    public const string ReservedBoxId = "fleet";

    private readonly FleetOptions _options;
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private readonly Dictionary<string, BoxEntry> _boxes = new(StringComparer.Ordinal);
    private readonly long[] _dropped = new long[Enum.GetValues<FleetDropReason>().Length];
    private long _accepted;

    public FleetState(FleetOptions options, TimeProvider? time = null)
    {
        _options = options;
        _time = time ?? TimeProvider.System;
    }

    public FleetOptions Options => _options;

    public long Accepted => Interlocked.Read(ref _accepted);

    public int BoxCount
    {
        get
        {
            lock (_lock)
                return _boxes.Count;
        }
    }

    /// <summary>Messages dropped for <paramref name="reason"/> since start.</summary>
    public long Dropped(FleetDropReason reason) => Interlocked.Read(ref _dropped[(int)reason]);

    /// <summary>
    /// Takes one message from the broker. <paramref name="retained"/>: delivered as a retained message (at subscribe),
    /// so its time is the box's, not now. Returns why it was dropped, or null when it was taken. Never throws for
    /// anything in the topic or the payload.
    /// </summary>
    public FleetDropReason? Apply(string topic, ReadOnlySpan<byte> payload, bool retained)
    {
        var problem = ApplyCore(topic, payload, retained);
        if (problem is { } p)
            Interlocked.Increment(ref _dropped[(int)p]);
        else
            Interlocked.Increment(ref _accepted);
        return problem;
    }

    private FleetDropReason? ApplyCore(string topic, ReadOnlySpan<byte> payload, bool retained)
    {
        var prefix = _options.TopicPrefix;
        if (topic.Length <= prefix.Length + 1 || !topic.StartsWith(prefix, StringComparison.Ordinal) || topic[prefix.Length] != '/')
            return FleetDropReason.Topic;
        var rest = topic.AsSpan(prefix.Length + 1);
        var slash = rest.IndexOf('/');
        if (slash < 0)
            return FleetDropReason.Topic;
        var leaf = rest[(slash + 1)..];
        if (leaf is not "status" and not "health" and not "events")
            return FleetDropReason.Topic;
        var id = rest[..slash];
        if (!FleetMessageReader.IsValidBoxId(id) || id.SequenceEqual(ReservedBoxId))
            return FleetDropReason.BoxId;
        if (payload.Length > _options.MaxPayloadBytes)
            return FleetDropReason.Size;
        var boxId = id.ToString();
        var now = _time.GetUtcNow();
        switch (leaf)
        {
            case "status":
            {
                var s = FleetMessageReader.Parse(payload, TelemetryJson.Default.StatusMessage, out var problem);
                if (s is null || (problem = FleetMessageReader.Check(s, boxId)) is not null)
                    return problem;
                return Update(boxId, now, b => b.Status(s.State == "online", retained ? Clamp(s.Time, now, b.LastBoxTime) : now));
            }
            case "health":
            {
                var h = FleetMessageReader.Parse(payload, TelemetryJson.Default.HealthMessage, out var problem);
                if (h is null || (problem = FleetMessageReader.Check(h, boxId, _options.MaxDestinations)) is not null)
                    return problem;
                return Update(boxId, now, b => b.HealthReceived(h, retained ? Clamp(h.Time, now, null) : now));
            }
            default:
            {
                var e = FleetMessageReader.Parse(payload, TelemetryJson.Default.EventMessage, out var problem);
                if (e is null || (problem = FleetMessageReader.Check(e, boxId)) is not null)
                    return problem;
                return Update(boxId, now, b => b.Event(e with { BoxId = b.Id, Kind = Intern(e.Kind), Destination = e.Destination is { } d ? Intern(d) : null },
                    _options.EventsPerBox));
            }
        }
    }

    /// <summary>
    /// One string for each event kind and destination name, so that the events kept (up to
    /// <see cref="FleetOptions.EventsPerBox"/> per box, 50,000 at 1,000 boxes) hold their own detail only. Bounded: a
    /// flood of new names from the broker stops being pooled and is kept as sent.
    /// </summary>
    private string Intern(string s)
    {
        lock (_names)
        {
            if (_names.TryGetValue(s, out var known))
                return known;
            if (_names.Count < MaxPooledNames)
                _names.Add(s, s);
            return s;
        }
    }

    private const int MaxPooledNames = 4096;
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);

    /// <summary>A box's clock may be wrong: never in the future, and never before what we already know.</summary>
    private static DateTimeOffset Clamp(DateTimeOffset boxTime, DateTimeOffset now, DateTimeOffset? notBefore)
    {
        var t = boxTime > now ? now : boxTime;
        return notBefore is { } n && n > t && n <= now ? n : t;
    }

    private FleetDropReason? Update(string boxId, DateTimeOffset now, Action<BoxEntry> change)
    {
        lock (_lock)
        {
            if (!_boxes.TryGetValue(boxId, out var box))
            {
                if (_boxes.Count >= _options.MaxBoxes)
                    return FleetDropReason.TooManyBoxes;
                box = new BoxEntry(boxId);
                _boxes.Add(boxId, box);
            }
            box.LastSeen = now;
            change(box);
            return null;
        }
    }

    /// <summary>
    /// Re-evaluates every box's alarms at <see cref="TimeProvider.GetUtcNow"/> and returns the boxes whose set of raised
    /// alarm kinds changed since the last call (what the subscriber publishes).
    /// </summary>
    public IReadOnlyList<FleetBoxView> EvaluateAlarms()
    {
        var now = _time.GetUtcNow();
        var changed = new List<FleetBoxView>();
        lock (_lock)
        {
            foreach (var box in _boxes.Values)
            {
                var before = box.Alarms;
                var after = FleetAlarmRules.Evaluate(View(box, now, []), _options, now, before);
                box.Alarms = after;
                if (!before.Select(a => a.Kind).SequenceEqual(after.Select(a => a.Kind)))
                    changed.Add(View(box, now, after));
            }
        }
        return changed;
    }

    /// <summary>Every box (their alarms as of the last <see cref="EvaluateAlarms"/>), ordered by id.</summary>
    public IReadOnlyList<FleetBoxView> Snapshot(bool withEvents = false)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
            return [.. _boxes.Values.OrderBy(b => b.Id, StringComparer.Ordinal).Select(b => View(b, now, b.Alarms, withEvents))];
    }

    public FleetBoxView? Box(string boxId)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
            return _boxes.TryGetValue(boxId, out var b) ? View(b, now, b.Alarms, withEvents: true) : null;
    }

    private FleetBoxView View(BoxEntry b, DateTimeOffset now, IReadOnlyList<FleetAlarm> alarms, bool withEvents = false)
    {
        var silent = b.Online && now - b.LastSeen > _options.SilentAfter;
        var since = silent ? b.LastSeen : b.StateSince;
        return new FleetBoxView(b.Id, b.Online && !silent, silent, since, b.LastSeen, b.Health, b.DeviceDisconnectedSince,
            withEvents ? [.. b.Events.Reverse()] : [], alarms);
    }

    /// <summary>One box; changed only under the state's lock.</summary>
    private sealed class BoxEntry(string id)
    {
        public string Id { get; } = id;
        public bool Online { get; private set; }
        public DateTimeOffset? StateSince { get; private set; }
        public DateTimeOffset LastSeen { get; set; }
        public DateTimeOffset? LastBoxTime { get; private set; }
        public HealthMessage? Health { get; private set; }
        public DateTimeOffset? DeviceDisconnectedSince { get; private set; }
        public Queue<EventMessage> Events { get; } = new();
        public IReadOnlyList<FleetAlarm> Alarms { get; set; } = [];

        public void Status(bool online, DateTimeOffset at)
        {
            if (online != Online || StateSince is null)
                StateSince = at;
            Online = online;
        }

        public void HealthReceived(HealthMessage h, DateTimeOffset at)
        {
            var disconnected = h.Device is { Link: "disconnected" };
            if (!disconnected)
                DeviceDisconnectedSince = null;
            else if (DeviceDisconnectedSince is null)
                DeviceDisconnectedSince = at;
            LastBoxTime = at;
            Health = h;
        }

        public void Event(EventMessage e, int keep)
        {
            Events.Enqueue(e);
            while (Events.Count > keep)
                Events.Dequeue();
        }
    }
}
