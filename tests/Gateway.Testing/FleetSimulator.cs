using System.Globalization;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace Gateway.Testing;

/// <summary>
/// Plays many boxes' MQTT side in one process (issue #21's load test; not a thousand gateway processes): per box one
/// MQTTnet connection as the box's broker user, with the retained "offline" last will a real box sets, then — as a
/// real box does — a retained "online" status and a retained health message every <see cref="HealthInterval"/> (the
/// boxes spread over the interval), and an event every <see cref="EventEvery"/> health messages. Connections are
/// made <see cref="ConnectParallelism"/> at a time. Payloads are what <c>TelemetryPublisher</c> sends (schema 1).
/// </summary>
public sealed class FleetSimulator : IAsyncDisposable
{
    private readonly string _host;
    private readonly int _port;
    private readonly IReadOnlyList<string> _boxes;
    private readonly Func<string, string> _password;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<IMqttClient> _clients = [];
    private readonly List<Task> _loops = [];
    private long _published;
    private long _failures;

    public FleetSimulator(string host, int port, IReadOnlyList<string> boxes, Func<string, string> password)
    {
        _host = host;
        _port = port;
        _boxes = boxes;
        _password = password;
    }

    public TimeSpan HealthInterval { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(30);
    public int EventEvery { get; init; } = 6;
    public int ConnectParallelism { get; init; } = 25;

    public long Published => Interlocked.Read(ref _published);

    /// <summary>Publishes that failed (a connection lost); the box stops publishing then, like a dead box.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public IReadOnlyList<string> Boxes => _boxes;

    /// <summary>Connects every box and starts its publishing; returns once all are connected and have said "online".</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        using var gate = new SemaphoreSlim(ConnectParallelism);
        var started = _boxes.Select(async (box, index) =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var client = await ConnectAsync(box, ct).ConfigureAwait(false);
                lock (_clients)
                    _clients.Add(client);
                await PublishAsync(client, box, "status", Status(box, "online"), retain: true, ct).ConfigureAwait(false);
                await PublishAsync(client, box, "health", Health(box, 0), retain: true, ct).ConfigureAwait(false);
                var offset = HealthInterval * ((double)index / _boxes.Count);
                lock (_loops)
                    _loops.Add(Task.Run(() => LoopAsync(client, box, offset, _stop.Token), CancellationToken.None));
            }
            finally
            {
                gate.Release();
            }
        });
        await Task.WhenAll(started).ConfigureAwait(false);
    }

    private async Task<IMqttClient> ConnectAsync(string box, CancellationToken ct)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(_host, _port)
            .WithClientId("sim-" + box)
            .WithCleanSession(true)
            .WithCredentials(box, _password(box))
            .WithKeepAlivePeriod(KeepAlive)
            .WithTimeout(TimeSpan.FromSeconds(30))
            .WithWillTopic($"gateway/{box}/status")
            .WithWillPayload(Encoding.UTF8.GetBytes(Status(box, "offline")))
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await client.ConnectAsync(options, ct).ConfigureAwait(false);
                return client;
            }
            catch (Exception e) when (attempt < 5 && e is not OperationCanceledException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct).ConfigureAwait(false);
            }
        }
    }

    private async Task LoopAsync(IMqttClient client, string box, TimeSpan offset, CancellationToken ct)
    {
        try
        {
            await Task.Delay(offset, ct).ConfigureAwait(false);
            using var timer = new PeriodicTimer(HealthInterval);
            for (var round = 1; await timer.WaitForNextTickAsync(ct).ConfigureAwait(false); round++)
            {
                await PublishAsync(client, box, "status", Status(box, "online"), retain: true, ct).ConfigureAwait(false);
                await PublishAsync(client, box, "health", Health(box, round), retain: true, ct).ConfigureAwait(false);
                if (EventEvery > 0 && round % EventEvery == 0)
                    await PublishAsync(client, box, "events", Event(box, round), retain: false, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception)
        {
            // The connection is gone (its relay frozen, the broker away): this box is dead from now on, as intended.
            Interlocked.Increment(ref _failures);
        }
    }

    private async Task PublishAsync(IMqttClient client, string box, string leaf, string payload, bool retain, CancellationToken ct)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic($"gateway/{box}/{leaf}")
            .WithPayload(Encoding.UTF8.GetBytes(payload))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain)
            .Build();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await client.PublishAsync(message, timeout.Token).ConfigureAwait(false);
        Interlocked.Increment(ref _published);
    }

    private static string Now => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    private static string Status(string box, string state) => $$"""{"schema":1,"boxId":"{{box}}","state":"{{state}}","time":"{{Now}}"}""";

    private string Health(string box, int round) => string.Create(CultureInfo.InvariantCulture,
        $$"""{"schema":1,"boxId":"{{box}}","time":"{{Now}}","version":"sim","uptimeSeconds":{{(long)(round * HealthInterval.TotalSeconds)}},"device":{"profile":"sim","link":"connected","lastAcquired":null,"acquired":{{round}},"failures":0,"problem":null},"spool":{"entries":{{round % 7}},"bytes":{{(round % 7) * 524288}}},"destinations":[{"name":"pacs","pending":{{round % 7}},"oldestSeconds":{{(round % 7 == 0 ? "null" : "3")}},"deadLetters":0,"lastSuccess":"{{Now}}","failures":0,"awaitingCommitment":0,"oldestAwaitingCommitmentSeconds":null}],"diskFreeBytes":20000000000,"memoryBytes":76000000,"cpuTemperatureC":47.5,"eventsDropped":0,"mpps":null,"modalityCommitment":null}""");

    private static string Event(string box, int round) => string.Create(CultureInfo.InvariantCulture,
        $$"""{"schema":1,"boxId":"{{box}}","time":"{{Now}}","kind":"sent","detail":"object {{round}} stored","destination":"pacs"}""");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        foreach (var client in _clients)
            client.Dispose();
        _stop.Dispose();
    }
}
