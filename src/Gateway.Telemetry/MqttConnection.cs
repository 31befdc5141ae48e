using System.Security.Cryptography.X509Certificates;
using MQTTnet;

namespace Gateway.Telemetry;

/// <summary>The broker connection both the box's publisher and the fleet view use: address, credentials, TLS 1.2+ with the CA pinned.</summary>
internal static class MqttConnection
{
    public static MqttClientOptionsBuilder Builder(TelemetryOptions options, string clientId)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(options.Host, options.Port)
            .WithClientId(clientId)
            .WithCleanSession(true)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(30))
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (options.Username is { } user)
            builder = builder.WithCredentials(user, options.Password ?? "");
        if (options.TlsCaFile is { } caFile)
        {
            var ca = new X509Certificate2Collection();
            ca.ImportFromPemFile(caFile);
            builder = builder.WithTlsOptions(tls =>
            {
                tls.UseTls(true)
                    .WithSslProtocols(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13)
                    .WithCertificateValidationHandler(args => Gateway.Shared.CaPinning.Validate(args.Certificate, args.SslPolicyErrors, ca, requireName: true));
                if (options.TlsCertificateFile is { } cert && options.TlsKeyFile is { } key)
                    tls.WithClientCertificates([X509Certificate2.CreateFromPemFile(cert, key)]);
            });
        }
        return builder;
    }

    /// <summary>What the supervised loops treat as "the broker is away": back off and connect again.</summary>
    public static bool IsTransient(Exception e) =>
        e is MQTTnet.Exceptions.MqttCommunicationException or MQTTnet.Adapter.MqttConnectingFailedException
            or OperationCanceledException or IOException or System.Net.Sockets.SocketException or InvalidOperationException
            or System.Security.Authentication.AuthenticationException or System.Security.Cryptography.CryptographicException;
}
