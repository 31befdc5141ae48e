using System.Text.Json;
using Gateway.Telemetry;
using Gateway.Telemetry.Fleet;
using Gateway.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Gateway.Telemetry.Tests;

/// <summary>
/// The fleet view against a real mosquitto (issue #21): the boxes are real <see cref="TelemetryPublisher"/>s, hostile
/// messages come from mosquitto_pub, and what the view publishes is read back with mosquitto_sub.
/// </summary>
public sealed class FleetSubscriberTests : IDisposable
{
    private readonly MosquittoPeer _broker = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            Task.WaitAll([.. _loops], TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
        _broker.Dispose();
    }

    private TelemetryOptions Connection(string box = "fleet-test") => new() { BoxId = box, Host = "127.0.0.1", Port = _broker.Port };

    private (TelemetryPublisher Publisher, CancellationTokenSource Stop) Box(string id, Func<HealthMessage> health, TimeSpan? interval = null)
    {
        var publisher = new TelemetryPublisher(Connection(id) with { HealthInterval = interval ?? TimeSpan.FromSeconds(1) }, health, NullLogger.Instance);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        _loops.Add(publisher.RunAsync(stop.Token));
        return (publisher, stop);
    }

    private FleetState View(FleetOptions? options = null)
    {
        var state = new FleetState(options ?? new FleetOptions { HealthInterval = TimeSpan.FromSeconds(1) });
        var subscriber = new FleetSubscriber(Connection(), state, NullLogger.Instance) { EvaluateEvery = TimeSpan.FromMilliseconds(200) };
        _loops.Add(subscriber.RunAsync(_stop.Token));
        return state;
    }

    private static HealthMessage Healthy(string box, int deadLetters = 0) => new()
    {
        BoxId = box, Time = DateTimeOffset.UtcNow, Version = "test", UptimeSeconds = 5,
        Spool = new SpoolHealth { Entries = 1, Bytes = 100 },
        Destinations = [new DestinationHealth("pacs", 1, 3, deadLetters, null, 0)],
        DiskFreeBytes = 10L << 30, MemoryBytes = 1 << 20,
    };

    private static void Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("not reached in 30 s: " + what);
            Thread.Sleep(50);
        }
    }

    private void Publish(string topic, string payload, bool retain = false)
    {
        var args = new List<string> { "-h", "127.0.0.1", "-p", _broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", topic, "-m", payload, "-q", "1" };
        if (retain)
            args.Add("-r");
        var r = ProcessRunner.Run(Peers.Require("mosquitto_pub", "mosquitto-clients"), args);
        Assert.True(r.ExitCode == 0, r.All);
    }

    [Fact]
    public void Every_box_is_shown_and_one_that_stops_goes_offline()
    {
        var state = View();
        var (_, stopA) = Box("box-a", () => Healthy("box-a"));
        Box("box-b", () => Healthy("box-b"));
        Until(() => state.Snapshot().Count(b => b.Online && b.Health is not null) == 2, "both boxes online with health");
        Assert.Equal("pacs", state.Box("box-a")!.Health!.Destinations.Single().Name);

        stopA.Cancel();
        Until(() => state.Box("box-a") is { Online: false, Silent: false }, "box-a offline from its status");
        Assert.True(state.Box("box-b")!.Online);
    }

    [Fact]
    public void Hostile_messages_are_counted_and_dropped_and_the_view_goes_on()
    {
        var state = View();
        Box("box-a", () => Healthy("box-a"));
        Until(() => state.Box("box-a")?.Health is not null, "box-a's health");
        Publish("gateway/box-x/health", "{not json");
        Publish("gateway/box-a/health", "{\"schema\":1,\"boxId\":\"box-evil\"}");
        Publish("gateway/box-a/status", "{\"schema\":1,\"boxId\":\"box-a\",\"state\":\"offline\",\"time\":\"x\"}");
        Publish("gateway/box-y/health", new string('[', 70_000));
        Until(() => state.Dropped(FleetDropReason.Json) >= 2 && state.Dropped(FleetDropReason.BoxMismatch) == 1 && state.Dropped(FleetDropReason.Size) == 1,
            "the hostile messages counted");
        Assert.Null(state.Box("box-x"));
        Assert.Null(state.Box("box-y"));
        var accepted = state.Accepted;
        Until(() => state.Accepted > accepted + 2, "box-a still heard");
        Assert.True(state.Box("box-a")!.Online);
    }

    [Fact]
    public void A_restarted_view_rebuilds_from_the_retained_messages_alone()
    {
        // Health every hour: what the second view shows can only come from the retained status and health.
        Box("box-a", () => Healthy("box-a"), TimeSpan.FromHours(1));
        Box("box-b", () => Healthy("box-b"), TimeSpan.FromHours(1));
        var first = View();
        Until(() => first.Snapshot().Count(b => b.Health is not null) == 2, "the first view has both boxes");
        var second = View(new FleetOptions { HealthInterval = TimeSpan.FromHours(1) });
        Until(() => second.Snapshot().Count(b => b.Online && b.Health is not null) == 2, "the second view has both boxes");
    }

    [Fact]
    public void An_alarm_is_raised_and_cleared_as_a_retained_message()
    {
        var deadLetters = 1;
        View(new FleetOptions { HealthInterval = TimeSpan.FromSeconds(1) });
        var (publisher, _) = Box("box-a", () => Healthy("box-a", Volatile.Read(ref deadLetters)));
        var raised = _broker.WaitFor("gateway/fleet/alarms/box-a", j => j.GetProperty("alarms").GetArrayLength() > 0, TimeSpan.FromSeconds(30));
        Assert.Equal("box-a", raised.GetProperty("boxId").GetString());
        var alarm = raised.GetProperty("alarms")[0];
        Assert.Equal("dead-letters", alarm.GetProperty("kind").GetString());
        Assert.Contains("pacs", alarm.GetProperty("detail").GetString(), StringComparison.Ordinal);

        Volatile.Write(ref deadLetters, 0);
        publisher.Nudge();
        var cleared = _broker.WaitFor("gateway/fleet/alarms/box-a", j => j.GetProperty("alarms").GetArrayLength() == 0, TimeSpan.FromSeconds(30));
        Assert.Equal(JsonValueKind.Array, cleared.GetProperty("alarms").ValueKind);
    }

    [Fact]
    public void A_box_gone_longer_than_forget_after_is_dropped_its_retained_alarm_deleted_and_a_new_view_does_not_raise_it_again()
    {
        var options = new FleetOptions
        {
            HealthInterval = TimeSpan.FromSeconds(1), ForgetAfter = TimeSpan.FromSeconds(6), Alarms = new FleetAlarmThresholds { Offline = TimeSpan.FromSeconds(1) },
        };
        var state = View(options);
        var (_, stopA) = Box("box-a", () => Healthy("box-a"));
        Box("box-b", () => Healthy("box-b"));
        Until(() => state.Box("box-a")?.Health is not null && state.Box("box-b")?.Health is not null, "both boxes with health");

        stopA.Cancel(); // a clean stop: its retained status says offline, its retained health stays
        var raised = _broker.WaitFor("gateway/fleet/alarms/box-a", j => j.GetProperty("alarms").GetArrayLength() > 0, TimeSpan.FromSeconds(30));
        Assert.Equal(FleetAlarm.Offline, raised.GetProperty("alarms")[0].GetProperty("kind").GetString());
        Until(() => state.Box("box-a") is null, "box-a forgotten");
        Assert.NotNull(state.Box("box-b"));
        Assert.Empty(_broker.Subscribe("gateway/fleet/alarms/box-a", 1, TimeSpan.FromSeconds(2)));
        Assert.Single(_broker.Subscribe("gateway/box-a/status", 1, TimeSpan.FromSeconds(2))); // the box's own: the view may not delete it

        // A new view reads box-a's retained status and health, which are older than forgetAfter: it forgets the box
        // before alarming it, so no alarm for box-a reaches the broker.
        using var alarms = _broker.Listen("gateway/fleet/alarms/box-a");
        var second = new FleetState(options);
        var subscriber = new FleetSubscriber(Connection(), second, NullLogger.Instance) { EvaluateEvery = TimeSpan.FromMilliseconds(200) };
        _loops.Add(subscriber.RunAsync(_stop.Token));
        Until(() => subscriber.BoxesForgotten == 1 && second.Box("box-b")?.Health is not null, "the second view forgot box-a and shows box-b");
        Assert.Null(second.Box("box-a"));
        // At most the deletion itself (mosquitto_sub prints an empty payload as "(null)"), never an alarm.
        Assert.All(alarms.WaitFor(1, TimeSpan.FromSeconds(1)), m => Assert.Contains(m.Payload.Trim(), new[] { "", "(null)" }));
        Assert.Empty(_broker.Subscribe("gateway/fleet/alarms/box-a", 1, TimeSpan.FromSeconds(2)));

        // The box comes back: shown again.
        Box("box-a", () => Healthy("box-a"));
        Until(() => state.Box("box-a") is { Online: true } && second.Box("box-a") is { Online: true }, "box-a back in both views");
    }

    [Fact]
    public void A_box_whose_retained_status_is_deleted_is_removed_at_once_with_its_retained_alarm()
    {
        var state = View(new FleetOptions { HealthInterval = TimeSpan.FromSeconds(1), ForgetAfter = null, Alarms = new FleetAlarmThresholds { Offline = TimeSpan.FromSeconds(1) } });
        var (_, stopA) = Box("box-a", () => Healthy("box-a"));
        Until(() => state.Box("box-a")?.Health is not null, "box-a with health");
        stopA.Cancel();
        _broker.WaitFor("gateway/fleet/alarms/box-a", j => j.GetProperty("alarms").GetArrayLength() > 0, TimeSpan.FromSeconds(30));

        // What README "Running a fleet" tells an operator to do for a box taken out of service.
        var pub = Peers.Require("mosquitto_pub", "mosquitto-clients");
        foreach (var leaf in new[] { "status", "health" })
        {
            var r = ProcessRunner.Run(pub, ["-h", "127.0.0.1", "-p", _broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", $"gateway/box-a/{leaf}", "-r", "-n"]);
            Assert.True(r.ExitCode == 0, r.All);
        }
        Until(() => state.Box("box-a") is null, "box-a removed");
        Until(() => _broker.Subscribe("gateway/fleet/alarms/box-a", 1, TimeSpan.FromSeconds(1)).Count == 0, "box-a's retained alarm deleted");
    }
}
