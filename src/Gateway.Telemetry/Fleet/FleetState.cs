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
            case "health" when payload.IsEmpty:
                return null; // its retained health deleted (see below): nothing to show
            case "status" when payload.IsEmpty:
                // The box's retained status deleted (a zero-length retained message, MQTT 3.1.1 §3.3.1.3): whoever may
                // write the box's status (its own broker user, or the broker's admin) took it out of service.
                Remove(boxId, now);
                return null;
            case "status":
            {
                var s = FleetMessageReader.Parse(payload, TelemetryJson.Default.StatusMessage, out var problem);
                if (s is null || (problem = FleetMessageReader.Check(s, boxId)) is not null)
                    return problem;
                return Update(boxId, now, retained ? Clamp(s.Time, now, null) : now, b => b.Status(s.State == "online", retained ? Clamp(s.Time, now, b.LastBoxTime) : now));
            }
            case "health":
            {
                var h = FleetMessageReader.Parse(payload, TelemetryJson.Default.HealthMessage, out var problem);
                if (h is null || (problem = FleetMessageReader.Check(h, boxId, _options.MaxDestinations)) is not null)
                    return problem;
                var at = retained ? Clamp(h.Time, now, null) : now;
                return Update(boxId, now, at, b => b.HealthReceived(h, at));
            }
            default:
            {
                var e = FleetMessageReader.Parse(payload, TelemetryJson.Default.EventMessage, out var problem);
                if (e is null || (problem = FleetMessageReader.Check(e, boxId)) is not null)
                    return problem;
                return Update(boxId, now, now, b => b.Event(e with { BoxId = b.Id, Kind = Intern(e.Kind), Destination = e.Destination is { } d ? Intern(d) : null },
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

    /// <param name="heard">When the box said it: now for a live message, the box's own (clamped) time for a retained one.</param>
    private FleetDropReason? Update(string boxId, DateTimeOffset now, DateTimeOffset heard, Action<BoxEntry> change)
    {
        lock (_lock)
        {
            if (!_boxes.TryGetValue(boxId, out var box))
            {
                // A forgotten box's retained messages come again after every reconnect (and to every new view): only
                // something newer than what the view had when it forgot the box brings it back.
                if (_forgotten.TryGetValue(boxId, out var lastHeard))
                {
                    if (heard <= lastHeard)
                        return FleetDropReason.Forgotten;
                    _forgotten.Remove(boxId);
                }
                if (_boxes.Count >= _options.MaxBoxes)
                    return FleetDropReason.TooManyBoxes;
                box = new BoxEntry(boxId) { FirstSeen = now };
                _boxes.Add(boxId, box);
            }
            // A live message is heard now; a retained one (sent again by the broker to every new subscriber and after
            // every reconnect) only when it says it was sent, so that a box silent since is not shown alive again.
            if (heard > box.LastHeard)
                box.LastHeard = heard;
            change(box);
            return null;
        }
    }

    /// <summary>
    /// Drops the boxes that vanished and returns them, for the subscriber to delete their retained alarms: those whose
    /// retained status was deleted (<see cref="Apply"/> of an empty status), and, with
    /// <see cref="FleetOptions.ForgetAfter"/>, those offline (or silent) and not heard from for longer than that
    /// (<see cref="EvaluateAlarms"/> drops them too, before it evaluates, so that a box due to be forgotten is never
    /// alarmed; they are returned by the next call here). Remembered (at most <see cref="FleetOptions.MaxBoxes"/> of
    /// them) with the time they were last heard from, so that their retained messages, which the broker keeps and sends
    /// again after every reconnect and to every new view, do not bring them back; anything newer does.
    /// </summary>
    public IReadOnlyList<FleetForgottenBox> ForgetVanished()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            ForgetSilent(now);
            var gone = _gone;
            _gone = [];
            return gone;
        }
    }

    /// <summary>
    /// A box first seen less than one health interval ago without a health message yet: its retained health may still
    /// be on its way (a subscriber gets every retained status first, then every health), and it alone says when a box
    /// whose retained status is its will (which carries the time it connected) was last heard from. Neither forgotten
    /// nor alarmed until it arrives or the interval is over.
    /// </summary>
    private bool Settling(BoxEntry box, DateTimeOffset now) => box.Health is null && now - box.FirstSeen < _options.HealthInterval;

    /// <summary>
    /// Online by its status but not heard from for <see cref="FleetOptions.SilentAfter"/>: counted offline. A box this
    /// view learnt of from retained messages only (a restarted view, a new one) is judged by their own time, but given at
    /// most one health interval from when the view first heard of it to speak live: a box silent for days is shown so
    /// one interval after the view starts (not three), and a box alive whose retained health was just sent keeps its
    /// three intervals.
    /// </summary>
    private bool Silent(BoxEntry b, DateTimeOffset now) =>
        b.Online && now - Max(b.LastHeard, b.FirstSeen - _options.SilentAfter + _options.HealthInterval) > _options.SilentAfter;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    /// <summary>Under the lock: the boxes offline and not heard from for longer than <see cref="FleetOptions.ForgetAfter"/>.</summary>
    private void ForgetSilent(DateTimeOffset now)
    {
        if (_options.ForgetAfter is not { } after)
            return;
        List<BoxEntry>? vanished = null;
        foreach (var box in _boxes.Values)
        {
            if (now - box.LastHeard > after && !(box.Online && !Silent(box, now)) && !Settling(box, now))
                (vanished ??= []).Add(box);
        }
        foreach (var box in vanished ?? [])
        {
            Forget(box.Id, box.LastHeard);
            _gone.Add(new FleetForgottenBox(box.Id, box.LastHeard, Removed: false));
        }
    }

    /// <summary>The box's retained status was deleted: forget it at once; the next <see cref="ForgetVanished"/> returns it.</summary>
    private void Remove(string boxId, DateTimeOffset now)
    {
        lock (_lock)
        {
            if (!_boxes.TryGetValue(boxId, out var box))
                return;
            var heard = box.LastHeard > now ? now : box.LastHeard;
            Forget(boxId, heard);
            _gone.Add(new FleetForgottenBox(boxId, heard, Removed: true));
        }
    }

    /// <summary>Under the lock.</summary>
    private void Forget(string boxId, DateTimeOffset lastHeard)
    {
        _boxes.Remove(boxId);
        if (_forgotten.Count >= _options.MaxBoxes && !_forgotten.ContainsKey(boxId))
            _forgotten.Remove(_forgotten.MinBy(f => f.Value).Key);
        _forgotten[boxId] = lastHeard;
    }

    private readonly Dictionary<string, DateTimeOffset> _forgotten = new(StringComparer.Ordinal);
    private List<FleetForgottenBox> _gone = [];

    /// <summary>
    /// Re-evaluates every box's alarms at <see cref="TimeProvider.GetUtcNow"/> and returns the boxes whose set of raised
    /// alarm kinds changed since the last call (what the subscriber publishes). Boxes due to be forgotten are dropped
    /// first (<see cref="ForgetVanished"/> returns them).
    /// </summary>
    public IReadOnlyList<FleetBoxView> EvaluateAlarms() => EvaluateAlarms(everyBox: false);

    /// <param name="everyBox">Return every box, changed or not (what the subscriber publishes after a reconnect): the
    /// boxes as evaluated, so that one that arrived since is not published before it was evaluated (or forgotten).</param>
    public IReadOnlyList<FleetBoxView> EvaluateAlarms(bool everyBox)
    {
        var now = _time.GetUtcNow();
        var changed = new List<FleetBoxView>();
        lock (_lock)
        {
            ForgetSilent(now);
            foreach (var box in everyBox ? _boxes.Values.OrderBy(b => b.Id, StringComparer.Ordinal) : (IEnumerable<BoxEntry>)_boxes.Values)
            {
                if (Settling(box, now))
                    continue;
                var before = box.Alarms;
                var after = FleetAlarmRules.Evaluate(View(box, now, []), _options, now, before);
                box.Alarms = after;
                if (everyBox || !before.Select(a => a.Kind).SequenceEqual(after.Select(a => a.Kind)))
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
        var silent = Silent(b, now);
        var since = silent ? b.LastHeard : b.StateSince;
        return new FleetBoxView(b.Id, b.Online && !silent, silent, since, b.LastHeard, b.Health, b.DeviceDisconnectedSince,
            withEvents ? [.. b.Events.Reverse()] : [], alarms);
    }

    /// <summary>One box; changed only under the state's lock.</summary>
    private sealed class BoxEntry(string id)
    {
        public string Id { get; } = id;
        public bool Online { get; private set; }
        public DateTimeOffset? StateSince { get; private set; }

        /// <summary>When this view first heard of the box.</summary>
        public DateTimeOffset FirstSeen { get; init; }

        /// <summary>The latest time the box said anything: a live message's arrival, a retained one's own time.</summary>
        public DateTimeOffset LastHeard { get; set; } = DateTimeOffset.MinValue;
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
