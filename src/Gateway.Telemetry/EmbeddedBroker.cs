using System.Net;
using MQTTnet.Server;

namespace Gateway.Telemetry;

/// <summary>
/// A small MQTT broker inside the process (MQTTnet server) for `gateway demo`: loopback only, anonymous, retained
/// messages in memory. A real installation points at the hospital's broker instead. Clients must send a client id
/// (MQTTnet's server refuses the empty id of MQTT 3.1.1 that mosquitto_sub sends by default: use `-i NAME`).
/// </summary>
public sealed class EmbeddedBroker : IAsyncDisposable
{
    private readonly MqttServer _server;

    private EmbeddedBroker(MqttServer server, int port)
    {
        _server = server;
        Port = port;
    }

    public int Port { get; }

    public static async Task<EmbeddedBroker> StartAsync(int port)
    {
        var options = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointPort(port)
            .Build();
        var server = new MqttServerFactory().CreateMqttServer(options);
        await server.StartAsync().ConfigureAwait(false);
        return new EmbeddedBroker(server, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync(new MqttServerStopOptions()).ConfigureAwait(false);
        _server.Dispose();
    }
}
