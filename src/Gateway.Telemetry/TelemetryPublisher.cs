using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace Gateway.Telemetry;

/// <summary>
/// Reports the box's health over MQTT (the only place that speaks MQTT). One supervised loop (MQTTnet v5 has no
/// managed client; its maintainers advise a loop, not reconnecting from the Disconnected handler): connect with a
/// retained last will "offline" on gateway/&lt;boxId&gt;/status, publish "online", the latest health and the buffered
/// events, then health every interval and events as they come; on any failure back off (1 s doubling to 60 s, with
/// jitter) and connect again. <see cref="Publish"/> never blocks: events wait in a bounded buffer that drops the
/// oldest when the broker stays away (counted in the health message). Thread-safe.
/// </summary>
public sealed class TelemetryPublisher
{
    private readonly TelemetryOptions _options;
    private readonly Func<HealthMessage> _health;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<EventMessage> _events;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long _dropped;
    private volatile bool _healthRequested;

    public TelemetryPublisher(TelemetryOptions options, Func<HealthMessage> health, ILogger logger, TimeProvider? time = null)
    {
        _options = options;
        _health = health;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _events = Channel.CreateBounded<EventMessage>(
            new BoundedChannelOptions(options.EventBuffer) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
    }

    public bool Connected { get; private set; }
    public string? LastError { get; private set; }
    public long EventsDropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues an event for publishing; returns at once whatever the broker does.</summary>
    public void Publish(TelemetryEvent e)
    {
        _events.Writer.TryWrite(new EventMessage(1, _options.BoxId, _time.GetUtcNow(), e.Kind, e.Detail, e.Destination));
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Publishes health now (after a change a watcher should see at once).</summary>
    public void Nudge()
    {
        _healthRequested = true;
        _wake.Writer.TryWrite(true);
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var delay = _options.ReconnectMin;
        while (!ct.IsCancellationRequested)
        {
            using var client = new MqttClientFactory().CreateMqttClient();
            try
            {
                await client.ConnectAsync(ClientOptions(), ct).ConfigureAwait(false);
                Connected = true;
                LastError = null;
                delay = _options.ReconnectMin;
                TelemetryLog.Connected(_logger, _options.Host, _options.Port, ClientId);
                await SessionAsync(client, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await GoodbyeAsync(client).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or MQTTnet.Adapter.MqttConnectingFailedException
                or OperationCanceledException or IOException or System.Net.Sockets.SocketException or InvalidOperationException
                or System.Security.Authentication.AuthenticationException or System.Security.Cryptography.CryptographicException)
            {
                var wasConnected = Connected;
                Connected = false;
                LastError = e.Message;
                if (wasConnected)
                    TelemetryLog.Lost(_logger, _options.Host, _options.Port, e.Message);
                var wait = delay * (0.8 + (0.4 * Random.Shared.NextDouble()));
                TelemetryLog.Unreachable(_logger, _options.Host, _options.Port, e.Message, wait.TotalSeconds);
                delay = TimeSpan.FromTicks(Math.Min(_options.ReconnectMax.Ticks, delay.Ticks * 2));
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

    private string ClientId => _options.ClientId ?? $"gateway-{_options.BoxId}";

    /// <summary>One connection's life: online, health, events; returns (throws) when it breaks.</summary>
    private async Task SessionAsync(IMqttClient client, CancellationToken ct)
    {
        var nextHealth = _time.GetUtcNow();
        var lastPing = _time.GetUtcNow();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (!client.IsConnected)
                throw new MQTTnet.Exceptions.MqttCommunicationException("the broker closed the connection");
            var now = _time.GetUtcNow();
            if (now >= nextHealth || _healthRequested)
            {
                _healthRequested = false;
                // "online" again with every health message: a broker that lost its retained messages (restarted without
                // persistence, or a subscriber that raced the first publish) learns the state within one interval.
                await PublishAsync(client, "status", JsonSerializer.SerializeToUtf8Bytes(Status("online"), TelemetryJson.Default.StatusMessage), retain: true, ct).ConfigureAwait(false);
                var health = _health() with { EventsDropped = EventsDropped };
                await PublishAsync(client, "health", JsonSerializer.SerializeToUtf8Bytes(health, TelemetryJson.Default.HealthMessage), retain: true, ct).ConfigureAwait(false);
                nextHealth = now + _options.HealthInterval;
            }
            while (_events.Reader.TryPeek(out var e))
            {
                await PublishAsync(client, "events", JsonSerializer.SerializeToUtf8Bytes(e, TelemetryJson.Default.EventMessage), retain: false, ct).ConfigureAwait(false);
                _events.Reader.TryRead(out _);
            }
            if (now - lastPing > TimeSpan.FromSeconds(15))
            {
                // A half-open TCP connection shows only when something is sent: ping while idle.
                await client.PingAsync(ct).ConfigureAwait(false);
                lastPing = now;
            }
            var wait = nextHealth - _time.GetUtcNow();
            if (wait > TimeSpan.FromSeconds(5))
                wait = TimeSpan.FromSeconds(5);
            if (wait > TimeSpan.Zero)
                await SleepAsync(wait, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Until <paramref name="wait"/> has passed or an event (or a nudge) arrives.</summary>
    private async Task SleepAsync(TimeSpan wait, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(wait);
        try
        {
            await _wake.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
    }

    private async Task GoodbyeAsync(IMqttClient client)
    {
        if (!client.IsConnected)
            return;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await PublishAsync(client, "status", JsonSerializer.SerializeToUtf8Bytes(Status("offline"), TelemetryJson.Default.StatusMessage), retain: true, timeout.Token).ConfigureAwait(false);
            await client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or IOException or InvalidOperationException)
        {
            // Stopping anyway; the broker's last will says "offline" for us.
        }
        Connected = false;
    }

    private StatusMessage Status(string state) => new(1, _options.BoxId, state, _time.GetUtcNow());

    private async Task PublishAsync(IMqttClient client, string leaf, byte[] payload, bool retain, CancellationToken ct)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(_options.Topic(leaf))
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain)
            .WithContentType("application/json")
            .Build();
        var result = await client.PublishAsync(message, ct).ConfigureAwait(false);
        if (!result.IsSuccess)
            throw new MQTTnet.Exceptions.MqttCommunicationException($"the broker refused {leaf}: {result.ReasonCode} {result.ReasonString}");
    }

    /// <summary>Connects once with these settings and disconnects (the web page's "test connection"): the outcome in plain words.</summary>
    public static async Task<(bool Ok, string Message)> TestConnectAsync(TelemetryOptions options, CancellationToken ct)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        try
        {
            var probe = new TelemetryPublisher(options with { ClientId = $"{options.ClientId ?? "gateway-" + options.BoxId}-test" }, () => new HealthMessage(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            var result = await client.ConnectAsync(probe.ClientOptions(), ct).ConfigureAwait(false);
            await client.DisconnectAsync(new MqttClientDisconnectOptions(), ct).ConfigureAwait(false);
            return (true, $"success: the broker at {options.Host}:{options.Port} accepted the connection ({result.ResultCode})");
        }
        catch (MQTTnet.Adapter.MqttConnectingFailedException e)
        {
            return (false, $"refused by the broker: {e.Message} (check user and password)");
        }
        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or IOException
            or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException or System.Security.Cryptography.CryptographicException)
        {
            var inner = e.InnerException?.Message is { } m ? $" ({m})" : "";
            return (false, e is System.Security.Authentication.AuthenticationException || e.InnerException is System.Security.Authentication.AuthenticationException
                ? $"TLS failure: the broker's certificate is not trusted by the CA given{inner}"
                : $"cannot reach {options.Host}:{options.Port}: {e.Message}{inner}");
        }
    }

    private MqttClientOptions ClientOptions()
    {
        var offline = JsonSerializer.SerializeToUtf8Bytes(Status("offline"), TelemetryJson.Default.StatusMessage);
        return MqttConnection.Builder(_options, ClientId)
            .WithWillTopic(_options.Topic("status"))
            .WithWillPayload(offline)
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
    }
}
