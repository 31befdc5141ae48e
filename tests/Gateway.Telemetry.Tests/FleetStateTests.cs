using System.Text;
using Gateway.Telemetry;
using Gateway.Telemetry.Fleet;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Telemetry.Tests;

/// <summary>The fleet state model (issue #21) over the payloads as boxes send them, and over hostile ones.</summary>
public sealed class FleetStateTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));

    private FleetState State(FleetOptions? options = null) => new(options ?? new FleetOptions { HealthInterval = TimeSpan.FromSeconds(5) }, _time);

    private string Health(string box, int deadLetters = 0, long oldest = 10, long? disk = 50_000_000_000, double? temp = 45, string link = "connected") =>
        $$"""
        {"schema":1,"boxId":"{{box}}","time":"{{_time.GetUtcNow():O}}","version":"1.0","uptimeSeconds":100,
         "device":{"profile":"fpd","link":"{{link}}","lastAcquired":null,"acquired":3,"failures":0,"problem":null},
         "spool":{"entries":2,"bytes":2048},
         "destinations":[{"name":"pacs","pending":2,"oldestSeconds":{{oldest}},"deadLetters":{{deadLetters}},"lastSuccess":null,"failures":1,"awaitingCommitment":0,"oldestAwaitingCommitmentSeconds":null}],
         "diskFreeBytes":{{(disk is null ? "null" : disk.ToString())}},"memoryBytes":1000,"cpuTemperatureC":{{(temp is null ? "null" : temp.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))}},"eventsDropped":0,"mpps":null}
        """;

    private string Status(string box, string state) => $$"""{"schema":1,"boxId":"{{box}}","state":"{{state}}","time":"{{_time.GetUtcNow():O}}"}""";

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void A_box_is_built_from_its_status_health_and_events()
    {
        var state = State();
        Assert.Null(state.Apply("gateway/box-1/status", U(Status("box-1", "online")), retained: true));
        Assert.Null(state.Apply("gateway/box-1/health", U(Health("box-1")), retained: true));
        Assert.Null(state.Apply("gateway/box-1/events", U("""{"schema":1,"boxId":"box-1","time":"2026-12-02T08:00:00Z","kind":"sent","detail":"1.2.3","destination":"pacs"}"""), retained: false));
        var box = Assert.Single(state.Snapshot(withEvents: true));
        Assert.True(box.Online);
        Assert.Equal("1.0", box.Health!.Version);
        Assert.Equal(2, box.Health.Destinations[0].Pending);
        Assert.Equal("sent", Assert.Single(box.RecentEvents).Kind);
    }

    [Theory]
    [InlineData("gateway/box-1/health", "{", FleetDropReason.Json)]
    [InlineData("gateway/box-1/health", "[1,2,3]", FleetDropReason.Json)]
    [InlineData("gateway/box-1/health", "{\"schema\":\"one\"}", FleetDropReason.Json)]
    [InlineData("gateway/box-1/status", "{\"schema\":2,\"boxId\":\"box-1\",\"state\":\"online\",\"time\":\"2026-12-02T08:00:00Z\"}", FleetDropReason.Schema)]
    [InlineData("gateway/box-1/status", "{\"schema\":1,\"boxId\":\"box-2\",\"state\":\"online\",\"time\":\"2026-12-02T08:00:00Z\"}", FleetDropReason.BoxMismatch)]
    [InlineData("gateway/box-1/status", "{\"schema\":1,\"boxId\":\"box-1\",\"state\":\"<script>\",\"time\":\"2026-12-02T08:00:00Z\"}", FleetDropReason.Invalid)]
    [InlineData("gateway/box-1/status", "{\"schema\":1,\"boxId\":\"box-1\",\"time\":\"2026-12-02T08:00:00Z\"}", FleetDropReason.Invalid)]
    [InlineData("gateway/box-1/events", "{\"schema\":1,\"boxId\":\"box-1\",\"time\":\"2026-12-02T08:00:00Z\",\"kind\":\"a\\u0007b\",\"detail\":\"\"}", FleetDropReason.Invalid)]
    [InlineData("gateway/box-1/events", "{\"schema\":1,\"boxId\":\"box-1\",\"time\":\"2026-12-02T08:00:00Z\",\"kind\":\"sent\"}", FleetDropReason.Invalid)]
    [InlineData("gateway/box 1/status", "{}", FleetDropReason.BoxId)]
    [InlineData("gateway/fleet/status", "{}", FleetDropReason.BoxId)]
    [InlineData("gateway/../status", "{}", FleetDropReason.BoxId)]
    [InlineData("gateway/box-1/other", "{}", FleetDropReason.Topic)]
    [InlineData("gateway/box-1/status/x", "{}", FleetDropReason.Topic)]
    [InlineData("other/box-1/status", "{}", FleetDropReason.Topic)]
    [InlineData("gateway", "{}", FleetDropReason.Topic)]
    public void A_hostile_message_is_counted_and_dropped_and_changes_nothing(string topic, string payload, FleetDropReason reason)
    {
        var state = State();
        state.Apply("gateway/box-1/status", U(Status("box-1", "online")), retained: false);
        var before = state.Snapshot().Single();
        Assert.Equal(reason, state.Apply(topic, U(payload), retained: false));
        Assert.Equal(1, state.Dropped(reason));
        Assert.Equal(before.Online, state.Snapshot().Single().Online);
        Assert.Single(state.Snapshot());
    }

    [Fact]
    public void Negative_counts_too_many_destinations_and_duplicate_destinations_are_refused()
    {
        var state = State(new FleetOptions { MaxDestinations = 2 });
        Assert.Equal(FleetDropReason.Invalid, state.Apply("gateway/b/health", U(Health("b").Replace("\"pending\":2", "\"pending\":-2", StringComparison.Ordinal)), false));
        Assert.Equal(FleetDropReason.Invalid, state.Apply("gateway/b/health", U(Health("b", temp: double.MaxValue)), false));
        var three = Health("b").Replace("\"destinations\":[{", "\"destinations\":[{\"name\":\"x\",\"pending\":0,\"oldestSeconds\":null,\"deadLetters\":0,\"lastSuccess\":null,\"failures\":0},{\"name\":\"y\",\"pending\":0,\"oldestSeconds\":null,\"deadLetters\":0,\"lastSuccess\":null,\"failures\":0},{", StringComparison.Ordinal);
        Assert.Equal(FleetDropReason.Invalid, state.Apply("gateway/b/health", U(three), false));
        var twice = Health("b").Replace("\"destinations\":[{", "\"destinations\":[{\"name\":\"pacs\",\"pending\":0,\"oldestSeconds\":null,\"deadLetters\":0,\"lastSuccess\":null,\"failures\":0},{", StringComparison.Ordinal);
        Assert.Equal(FleetDropReason.Invalid, state.Apply("gateway/b/health", U(twice), false));
        Assert.Equal(0, state.BoxCount);
    }

    [Fact]
    public void Deep_nesting_and_oversized_payloads_are_dropped_unread()
    {
        var state = State(new FleetOptions { MaxPayloadBytes = 4096 });
        var deep = "{\"schema\":1,\"x\":" + new string('[', 2100) + new string(']', 2100) + "}";
        Assert.Equal(FleetDropReason.Size, state.Apply("gateway/b/health", U(deep), false));
        var nested = "{\"schema\":1,\"x\":" + new string('[', 1000) + new string(']', 1000) + "}";
        Assert.Equal(FleetDropReason.Json, state.Apply("gateway/b/health", U(nested), false));
        Assert.Equal(FleetDropReason.Json, state.Apply("gateway/b/health", [0xff, 0xfe, 0x00, 0x7b], false));
        Assert.Equal(0, state.BoxCount);
    }

    [Fact]
    public void Boxes_and_events_are_bounded()
    {
        var state = State(new FleetOptions { MaxBoxes = 3, EventsPerBox = 4 });
        for (var i = 0; i < 5; i++)
            state.Apply($"gateway/b{i}/status", U(Status($"b{i}", "online")), false);
        Assert.Equal(3, state.BoxCount);
        Assert.Equal(2, state.Dropped(FleetDropReason.TooManyBoxes));
        for (var i = 0; i < 10; i++)
            state.Apply("gateway/b0/events", U($$"""{"schema":1,"boxId":"b0","time":"2026-12-02T08:00:00Z","kind":"sent","detail":"n{{i}}"}"""), false);
        var events = state.Box("b0")!.RecentEvents;
        Assert.Equal(["n9", "n8", "n7", "n6"], events.Select(e => e.Detail));
    }

    [Fact]
    public void A_box_that_falls_silent_is_offline_and_its_alarm_is_raised_then_cleared()
    {
        var state = State(new FleetOptions { HealthInterval = TimeSpan.FromSeconds(5), Alarms = new FleetAlarmThresholds { Offline = TimeSpan.FromMinutes(1) } });
        state.Apply("gateway/b/status", U(Status("b", "online")), false);
        state.Apply("gateway/b/health", U(Health("b")), false);
        Assert.Empty(state.EvaluateAlarms());
        _time.Advance(TimeSpan.FromSeconds(16));
        Assert.False(state.Box("b")!.Online);
        Assert.True(state.Box("b")!.Silent);
        Assert.Empty(state.EvaluateAlarms());
        _time.Advance(TimeSpan.FromMinutes(1));
        var raised = Assert.Single(state.EvaluateAlarms());
        Assert.Equal(FleetAlarm.Offline, Assert.Single(raised.Alarms).Kind);
        Assert.Empty(state.EvaluateAlarms());
        state.Apply("gateway/b/health", U(Health("b")), false);
        var cleared = Assert.Single(state.EvaluateAlarms());
        Assert.Empty(cleared.Alarms);
    }

    [Fact]
    public void A_new_view_shows_a_box_whose_retained_messages_are_stale_silent_after_one_interval_since_their_own_time()
    {
        // A site's bridge went down ten minutes ago: the central broker still holds the box's retained "online" status
        // and its last health. A view (re)started now must not show it alive for three intervals more.
        var state = State(new FleetOptions { HealthInterval = TimeSpan.FromSeconds(5), Alarms = new FleetAlarmThresholds { Offline = TimeSpan.FromMinutes(1) } });
        var then = _time.GetUtcNow();
        var status = Status("b", "online");
        var health = Health("b");
        _time.Advance(TimeSpan.FromMinutes(10));
        state.Apply("gateway/b/status", U(status), retained: true);
        state.Apply("gateway/b/health", U(health), retained: true);
        Assert.True(state.Box("b")!.Online); // given one interval to speak live
        Assert.Equal(then, state.Box("b")!.LastSeen); // when it said it, not when the broker said it again
        _time.Advance(TimeSpan.FromSeconds(6));
        var box = state.Box("b")!;
        Assert.True(box.Silent);
        Assert.False(box.Online);
        Assert.Equal(then, box.Since);
        Assert.Equal(FleetAlarm.Offline, Assert.Single(Assert.Single(state.EvaluateAlarms()).Alarms).Kind); // ten minutes > one
        state.Apply("gateway/b/health", U(Health("b")), retained: false);
        Assert.True(state.Box("b")!.Online);
        Assert.Empty(Assert.Single(state.EvaluateAlarms()).Alarms);
    }

    [Fact]
    public void A_box_whose_retained_health_is_fresh_keeps_its_three_intervals_and_a_reconnect_does_not_revive_a_silent_box()
    {
        var state = State(new FleetOptions { HealthInterval = TimeSpan.FromSeconds(5) });
        state.Apply("gateway/b/status", U(Status("b", "online")), retained: true);
        state.Apply("gateway/b/health", U(Health("b")), retained: true); // sent just now
        _time.Advance(TimeSpan.FromSeconds(14));
        Assert.True(state.Box("b")!.Online); // QoS 0 may lose a health or two: three intervals, as for a live one
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(state.Box("b")!.Silent);

        // The view's connection to the broker drops and comes back: the broker sends the same retained messages again.
        var silentSince = state.Box("b")!.Since;
        _time.Advance(TimeSpan.FromSeconds(30));
        var stale = Health("b").Replace(_time.GetUtcNow().ToString("O"), (_time.GetUtcNow() - TimeSpan.FromSeconds(46)).ToString("O"), StringComparison.Ordinal);
        state.Apply("gateway/b/health", U(stale), retained: true);
        Assert.True(state.Box("b")!.Silent);
        Assert.Equal(silentSince, state.Box("b")!.Since);
    }

    [Fact]
    public void The_will_makes_a_box_offline_at_once_and_the_alarm_after_the_threshold()
    {
        var state = State(new FleetOptions { Alarms = new FleetAlarmThresholds { Offline = TimeSpan.FromMinutes(2) } });
        state.Apply("gateway/b/status", U(Status("b", "online")), false);
        state.Apply("gateway/b/status", U(Status("b", "offline")), false);
        Assert.False(state.Box("b")!.Online);
        Assert.False(state.Box("b")!.Silent);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(state.EvaluateAlarms());
        _time.Advance(TimeSpan.FromMinutes(1.5));
        Assert.Equal(FleetAlarm.Offline, Assert.Single(Assert.Single(state.EvaluateAlarms()).Alarms).Kind);
    }

    [Fact]
    public void Health_alarms_follow_their_thresholds()
    {
        var state = State(new FleetOptions
        {
            Alarms = new FleetAlarmThresholds
            {
                SpoolOldest = TimeSpan.FromMinutes(10), DiskFreeBelowBytes = 1_000_000, TemperatureAboveC = 70, DeviceDisconnected = TimeSpan.FromMinutes(1),
            },
        });
        state.Apply("gateway/b/status", U(Status("b", "online")), false);
        state.Apply("gateway/b/health", U(Health("b", deadLetters: 1, oldest: 601, disk: 999_999, temp: 70.5, link: "disconnected")), false);
        Assert.Equal([FleetAlarm.SpoolOldest, FleetAlarm.DeadLetters, FleetAlarm.DiskLow, FleetAlarm.TemperatureHigh],
            Assert.Single(state.EvaluateAlarms()).Alarms.Select(a => a.Kind));
        _time.Advance(TimeSpan.FromSeconds(61));
        state.Apply("gateway/b/health", U(Health("b", deadLetters: 1, oldest: 661, disk: 999_999, temp: 70.5, link: "disconnected")), false);
        var all = Assert.Single(state.EvaluateAlarms()).Alarms;
        Assert.Contains(all, a => a.Kind == FleetAlarm.DeviceDisconnected);
        Assert.Equal(_time.GetUtcNow() - TimeSpan.FromSeconds(61), all.Single(a => a.Kind == FleetAlarm.SpoolOldest).Since);
        state.Apply("gateway/b/health", U(Health("b")), false);
        Assert.Empty(Assert.Single(state.EvaluateAlarms()).Alarms);
    }

    [Fact]
    public void A_retained_status_with_a_future_time_is_clamped_to_now()
    {
        var state = State(new FleetOptions { Alarms = new FleetAlarmThresholds { Offline = TimeSpan.FromMinutes(1) } });
        var future = $$"""{"schema":1,"boxId":"b","state":"offline","time":"2030-01-01T00:00:00Z"}""";
        state.Apply("gateway/b/status", U(future), retained: true);
        Assert.Equal(_time.GetUtcNow(), state.Box("b")!.Since);
    }

    [Fact]
    public void A_box_offline_longer_than_forget_after_is_forgotten_and_its_stale_retained_messages_do_not_bring_it_back()
    {
        var state = State(new FleetOptions { HealthInterval = TimeSpan.FromSeconds(5), ForgetAfter = TimeSpan.FromHours(1) });
        state.Apply("gateway/gone/status", U(Status("gone", "online")), false);
        state.Apply("gateway/gone/health", U(Health("gone")), false);
        var lastHealth = Health("gone");
        var lastHealthAt = _time.GetUtcNow();
        state.Apply("gateway/gone/status", U(Status("gone", "offline")), false);
        state.Apply("gateway/live/status", U(Status("live", "online")), false);
        _time.Advance(TimeSpan.FromMinutes(59));
        state.Apply("gateway/live/health", U(Health("live")), false);
        Assert.Empty(state.ForgetVanished());
        Assert.NotNull(state.Box("gone"));

        _time.Advance(TimeSpan.FromMinutes(2));
        state.Apply("gateway/live/health", U(Health("live")), false);
        var gone = Assert.Single(state.ForgetVanished());
        Assert.Equal(("gone", false, lastHealthAt), (gone.BoxId, gone.Removed, gone.LastHeard));
        Assert.Null(state.Box("gone"));
        Assert.Equal(1, state.BoxCount);
        Assert.DoesNotContain(state.EvaluateAlarms(), b => b.BoxId == "gone");
        Assert.Empty(state.ForgetVanished());

        // After a reconnect the broker sends the box's retained messages again: what the view had, so it stays forgotten.
        Assert.Equal(FleetDropReason.Forgotten, state.Apply("gateway/gone/health", U(lastHealth), retained: true));
        Assert.Null(state.Box("gone"));
        // Anything the box says now brings it back.
        Assert.Null(state.Apply("gateway/gone/status", U(Status("gone", "online")), retained: false));
        Assert.True(state.Box("gone")!.Online);
    }

    [Fact]
    public void A_restarted_view_forgets_a_box_whose_retained_messages_are_old_before_alarming_it()
    {
        var state = State(new FleetOptions { HealthInterval = TimeSpan.FromSeconds(5), ForgetAfter = TimeSpan.FromHours(1), Alarms = new FleetAlarmThresholds { Offline = TimeSpan.FromMinutes(5) } });
        var willAt = _time.GetUtcNow();
        var will = Status("gone", "offline"); // a will carries the time its box connected
        _time.Advance(TimeSpan.FromMinutes(30));
        var health = Health("gone");
        _time.Advance(TimeSpan.FromHours(2));
        state.Apply("gateway/gone/status", U(will), retained: true);
        state.Apply("gateway/gone/health", U(health), retained: true);
        Assert.Equal(willAt, state.Box("gone")!.Since);
        var gone = Assert.Single(state.ForgetVanished());
        Assert.Equal(willAt + TimeSpan.FromMinutes(30), gone.LastHeard);
        Assert.Empty(state.EvaluateAlarms());
    }

    [Fact]
    public void An_online_box_is_never_forgotten_and_forget_after_null_keeps_an_offline_one()
    {
        var state = State(new FleetOptions { HealthInterval = TimeSpan.FromHours(10), ForgetAfter = TimeSpan.FromHours(1) });
        state.Apply("gateway/b/status", U(Status("b", "online")), false);
        state.Apply("gateway/b/health", U(Health("b")), false);
        _time.Advance(TimeSpan.FromHours(5)); // quiet, but not silent at a 10-hour interval
        Assert.Empty(state.ForgetVanished());

        var keep = State(new FleetOptions { ForgetAfter = null });
        keep.Apply("gateway/b/status", U(Status("b", "offline")), false);
        _time.Advance(TimeSpan.FromDays(400));
        Assert.Empty(keep.ForgetVanished());
        Assert.NotNull(keep.Box("b"));
    }

    [Fact]
    public void A_deleted_retained_status_removes_the_box_at_once()
    {
        var state = State(new FleetOptions { ForgetAfter = null });
        state.Apply("gateway/b/status", U(Status("b", "offline")), false);
        var health = Health("b");
        state.Apply("gateway/b/health", U(health), false);
        Assert.Null(state.Apply("gateway/b/status", [], retained: false));
        Assert.Null(state.Box("b"));
        Assert.True(Assert.Single(state.ForgetVanished()).Removed);
        Assert.Empty(state.ForgetVanished());
        Assert.Equal(FleetDropReason.Forgotten, state.Apply("gateway/b/health", U(health), retained: true));
        // An empty status of a box nobody knows changes nothing.
        Assert.Null(state.Apply("gateway/x/status", [], retained: false));
        Assert.Empty(state.ForgetVanished());
    }

    [Fact]
    public void A_restarted_view_keeps_a_box_whose_will_is_older_than_forget_after_when_its_retained_health_is_recent()
    {
        // A box up for ten days died an hour ago: its retained will carries the time it connected, its health the hour.
        var state = State(new FleetOptions { HealthInterval = TimeSpan.FromSeconds(30), ForgetAfter = TimeSpan.FromDays(7), Alarms = new FleetAlarmThresholds { Offline = TimeSpan.FromMinutes(5) } });
        var will = Status("b", "offline");
        _time.Advance(TimeSpan.FromDays(10));
        var health = Health("b");
        _time.Advance(TimeSpan.FromHours(1));
        // The view evaluates between the retained statuses and the retained healths that follow them.
        state.Apply("gateway/b/status", U(will), retained: true);
        Assert.Empty(state.EvaluateAlarms());
        Assert.Empty(state.ForgetVanished());
        state.Apply("gateway/b/health", U(health), retained: true);
        Assert.Equal(FleetAlarm.Offline, Assert.Single(Assert.Single(state.EvaluateAlarms()).Alarms).Kind);
        Assert.Empty(state.ForgetVanished());
        Assert.NotNull(state.Box("b"));
    }
}
