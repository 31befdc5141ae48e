using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace Gateway.Telemetry.Fleet;

/// <summary>
/// Feeds a <see cref="FleetState"/> from the broker and publishes its alarms: one supervised loop (as the box's
/// publisher: MQTTnet v5 advises a loop, not reconnecting from the Disconnected handler). Connect with a clean session
/// and a client id of its own (several views side by side), subscribe to &lt;prefix&gt;/+/status, /+/health and
/// /+/events (QoS 0, see <see cref="Delivery"/>; the retained status and health arrive at once), then every <see cref="EvaluateEvery"/> evaluate
/// the alarms and publish each box whose alarms changed as a retained message on &lt;prefix&gt;/fleet/alarms/&lt;box&gt;
/// (after every reconnect: all of them again); a box the state forgot (<see cref="FleetState.ForgetVanished"/>) gets its
/// retained alarm deleted. Any broker failure: back off 1 s doubling to 60 s and connect again.
/// A message handler never throws into MQTTnet: whatever goes wrong is logged and counted.
/// </summary>
public sealed class FleetSubscriber
{
    private readonly TelemetryOptions _connection;
    private readonly FleetState _state;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _clientId;
    private readonly Dictionary<FleetDropReason, DateTimeOffset> _lastDropLog = [];
    private readonly object _dropLogLock = new();

    /// <param name="connection">The broker, its credentials and TLS; <see cref="TelemetryOptions.BoxId"/> is not used.</param>
    public FleetSubscriber(TelemetryOptions connection, FleetState state, ILogger logger, TimeProvider? time = null)
    {
        _connection = connection;
        _state = state;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _clientId = connection.ClientId ?? $"gateway-fleet-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";
    }

    public TimeSpan EvaluateEvery { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The boxes' messages are taken at QoS 0 (README "Running a fleet"): the session is clean, so whatever the broker
    /// had not delivered when a connection breaks is gone at QoS 1 too, and on every connect the retained status and
    /// health come again; on a connection that stands TCP loses nothing. QoS 1 only added a PUBACK per message, one
    /// more TLS write each of ~430 a second at 1,000 boxes (docs/benchmarks.md "Fleet view"). A view that falls far
    /// behind loses messages either way (at QoS 1 beyond mosquitto's max_queued_messages), and the next health message
    /// replaces what it lost. The view's own alarms are still published at QoS 1.
    /// </summary>
    internal const MqttQualityOfServiceLevel Delivery = MqttQualityOfServiceLevel.AtMostOnce;

    public bool Connected { get; private set; }

    /// <summary>Alarm messages published since start (raised or cleared).</summary>
    public long AlarmsPublished => Interlocked.Read(ref _alarmsPublished);

    private long _alarmsPublished;

    /// <summary>Boxes forgotten or removed since start whose retained alarm was deleted.</summary>
    public long BoxesForgotten => Interlocked.Read(ref _boxesForgotten);

    private long _boxesForgotten;

    /// <summary>The alarm kinds last published per box (only the loop touches it): what the log says raised or cleared.</summary>
    private readonly Dictionary<string, string[]> _published = new(StringComparer.Ordinal);

    /// <summary>Forgotten boxes whose retained alarm is still to be deleted (only the loop touches it).</summary>
    private readonly List<FleetForgottenBox> _toClear = [];

    public async Task RunAsync(CancellationToken ct)
    {
        var delay = _connection.ReconnectMin;
        while (!ct.IsCancellationRequested)
        {
            using var client = new MqttClientFactory().CreateMqttClient();
            client.ApplicationMessageReceivedAsync += args =>
            {
                Receive(args.ApplicationMessage);
                return Task.CompletedTask;
            };
            try
            {
                await client.ConnectAsync(MqttConnection.Builder(_connection, _clientId).Build(), ct).ConfigureAwait(false);
                var prefix = _state.Options.TopicPrefix;
                var subscribe = new MqttClientSubscribeOptionsBuilder()
                    .WithTopicFilter($"{prefix}/+/status", Delivery)
                    .WithTopicFilter($"{prefix}/+/health", Delivery)
                    .WithTopicFilter($"{prefix}/+/events", Delivery)
                    .Build();
                var granted = await client.SubscribeAsync(subscribe, ct).ConfigureAwait(false);
                if (granted.Items.FirstOrDefault(i => i.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2) is { } refused)
                    throw new MQTTnet.Exceptions.MqttCommunicationException($"the broker refused the subscription {refused.TopicFilter.Topic}: {refused.ResultCode}");
                Connected = true;
                delay = _connection.ReconnectMin;
                FleetLog.Subscribed(_logger, _connection.Host, _connection.Port, $"{prefix}/+/status|health|events", _clientId);
                await SessionAsync(client, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (MqttConnection.IsTransient(e))
            {
                Connected = false;
                var wait = delay * (0.8 + (0.4 * Random.Shared.NextDouble()));
                FleetLog.Unreachable(_logger, _connection.Host, _connection.Port, e.Message, wait.TotalSeconds);
                delay = TimeSpan.FromTicks(Math.Min(_connection.ReconnectMax.Ticks, delay.Ticks * 2));
                try
                {
                    await Task.Delay(wait, _time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Receive(MqttApplicationMessage message)
    {
        try
        {
            var payload = message.Payload;
            FleetDropReason? dropped;
            if (payload.Length > _state.Options.MaxPayloadBytes)
                dropped = _state.Apply(message.Topic, new byte[_state.Options.MaxPayloadBytes + 1], message.Retain);
            else if (payload.IsSingleSegment)
                dropped = _state.Apply(message.Topic, payload.FirstSpan, message.Retain);
            else
                dropped = _state.Apply(message.Topic, payload.ToArray(), message.Retain);
            if (dropped is { } reason)
                LogDrop(message.Topic, reason);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Nothing in a message may stop the view: say it and go on with the next one.
            FleetLog.HandlerFailed(_logger, e.GetType().Name + ": " + e.Message);
        }
    }

    /// <summary>At most one line per reason a minute: a flood of bad messages must not flood the log.</summary>
    private void LogDrop(string topic, FleetDropReason reason)
    {
        if (reason == FleetDropReason.Forgotten)
            return; // a forgotten box's retained messages, sent again after every reconnect: expected
        var now = _time.GetUtcNow();
        lock (_dropLogLock)
        {
            if (_lastDropLog.TryGetValue(reason, out var last) && now - last < TimeSpan.FromMinutes(1))
                return;
            _lastDropLog[reason] = now;
        }
        var leaf = topic.EndsWith("/status", StringComparison.Ordinal) ? "status"
            : topic.EndsWith("/health", StringComparison.Ordinal) ? "health"
            : topic.EndsWith("/events", StringComparison.Ordinal) ? "events" : "other";
        FleetLog.Dropped(_logger, leaf, reason);
    }

    private async Task SessionAsync(IMqttClient client, CancellationToken ct)
    {
        var lastPing = _time.GetUtcNow();
        var everyone = true;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (!client.IsConnected)
                throw new MQTTnet.Exceptions.MqttCommunicationException("the broker closed the connection");
            var changed = _state.EvaluateAlarms(everyBox: everyone);
            // Kept until the broker took the deletion: a failure here reconnects, and the rest go out on the next session.
            _toClear.AddRange(_state.ForgetVanished());
            if (_toClear.Count > _state.Options.MaxBoxes)
                _toClear.RemoveRange(0, _toClear.Count - _state.Options.MaxBoxes); // bounded, whatever the broker does
            while (_toClear.Count > 0)
            {
                await ClearAlarmsAsync(client, _toClear[0], ct).ConfigureAwait(false);
                _toClear.RemoveAt(0);
            }
            foreach (var box in changed)
                await PublishAlarmsAsync(client, box, ct).ConfigureAwait(false);
            everyone = false;
            var now = _time.GetUtcNow();
            if (now - lastPing > TimeSpan.FromSeconds(15))
            {
                await client.PingAsync(ct).ConfigureAwait(false);
                lastPing = now;
            }
            await Task.Delay(EvaluateEvery, _time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A forgotten box's retained alarm is deleted (a zero-length retained message, MQTT 3.1.1 §3.3.1.3), so that
    /// nobody reading the alarms — a site's broker through the bridge, a new view — sees it raised for ever.
    /// </summary>
    private async Task ClearAlarmsAsync(IMqttClient client, FleetForgottenBox box, CancellationToken ct)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(_state.Options.AlarmTopic(box.BoxId))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(true)
            .Build();
        var result = await client.PublishAsync(message, ct).ConfigureAwait(false);
        if (!result.IsSuccess)
            throw new MQTTnet.Exceptions.MqttCommunicationException($"the broker refused to clear the alarms of {box.BoxId}: {result.ReasonCode}");
        Interlocked.Increment(ref _boxesForgotten);
        var had = _published.Remove(box.BoxId, out var kinds) ? string.Join(", ", kinds) : "";
        if (box.Removed)
            FleetLog.BoxRemoved(_logger, box.BoxId, had);
        else
            FleetLog.BoxForgotten(_logger, box.BoxId, box.LastHeard, _state.Options.ForgetAfter?.TotalHours ?? 0, had);
    }

    private async Task PublishAlarmsAsync(IMqttClient client, FleetBoxView box, CancellationToken ct)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(new AlarmMessage(1, box.BoxId, _time.GetUtcNow(), box.Alarms), FleetJson.Default.AlarmMessage);
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(_state.Options.AlarmTopic(box.BoxId))
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(true)
            .WithContentType("application/json")
            .Build();
        var result = await client.PublishAsync(message, ct).ConfigureAwait(false);
        if (!result.IsSuccess)
            throw new MQTTnet.Exceptions.MqttCommunicationException($"the broker refused the alarms of {box.BoxId}: {result.ReasonCode}");
        Interlocked.Increment(ref _alarmsPublished);
        var before = _published.TryGetValue(box.BoxId, out var b) ? b : [];
        foreach (var a in box.Alarms.Where(a => !before.Contains(a.Kind)))
            FleetLog.AlarmRaised(_logger, box.BoxId, a.Kind, a.Detail);
        foreach (var kind in before.Where(k => box.Alarms.All(a => a.Kind != k)))
            FleetLog.AlarmCleared(_logger, box.BoxId, kind);
        _published[box.BoxId] = [.. box.Alarms.Select(a => a.Kind)];
    }
}
