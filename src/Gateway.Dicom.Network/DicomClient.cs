using System.Net.Security;
using System.Net.Sockets;

namespace Gateway.Dicom.Network;

/// <summary>
/// Opens associations as requestor (PS3.8 §9.2: Evt1 → AE-1 transport connect → Evt2 → AE-2 A-ASSOCIATE-RQ → Evt3
/// AE-3 / Evt4 AE-4), run by <see cref="Association"/>.
/// </summary>
public static class DicomClient
{
    public static async Task<DicomClientAssociation> OpenAsync(
        DicomClientOptions options, IReadOnlyList<PresentationContextProposal> contexts, CancellationToken ct = default)
    {
        var peer = $"{options.Host}:{options.Port} ({options.CalledAE})";
        var rq = new AssociateRequest(options.CalledAE, options.CallingAE, contexts, new UserInformation
        {
            MaxPduLength = options.MaxPduLength,
            ImplementationClassUid = DicomImplementation.ClassUid,
            ImplementationVersionName = DicomImplementation.VersionName,
            Identity = options.Identity,
            Roles = options.Roles,
            Other = options.ExtendedNegotiation,
        });
        async Task<DicomConnection> Connect(CancellationToken connecting)
        {
            var (stream, socket) = await ConnectAsync(options, peer, connecting).ConfigureAwait(false);
            return new DicomConnection(stream, peer, socket) { MaxReceivePdu = options.MaxPduLength };
        }
        var service = await DimseService.OpenAsync(options, peer, rq, Connect, options.Handlers ?? DimseHandlers.None,
            options.Logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, ct).ConfigureAwait(false);
        return new DicomClientAssociation(service, options);
    }

    private static async Task<(Stream, Socket)> ConnectAsync(DicomClientOptions options, string peer, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            TcpTuning.Apply(socket, options.QuickAck);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.ConnectTimeout);
            try
            {
                await socket.ConnectAsync(options.Host, options.Port, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new DicomNetworkException($"connecting to {peer} timed out after {options.ConnectTimeout.TotalSeconds:0} s");
            }
            catch (SocketException e)
            {
                var what = e.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.HostNotFound or SocketError.NoData => "host not found",
                    SocketError.NetworkUnreachable or SocketError.HostUnreachable => "unreachable",
                    SocketError.TimedOut => "timed out",
                    _ => e.Message,
                };
                throw new DicomNetworkException($"{peer}: {what}", e);
            }
            // Bulk data is written with blocking sends: a PACS that stops reading must not hold a sender forever.
            socket.SendTimeout = (int)Math.Min(int.MaxValue, options.DimseTimeout.TotalMilliseconds);
            Stream stream = new QuickAckStream(socket, options.QuickAck);
            if (options.Tls is { } tls)
                stream = await StartTlsAsync(stream, tls, options, peer, ct).ConfigureAwait(false);
            return (stream, socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<Stream> StartTlsAsync(Stream stream, DicomTlsOptions tls, DicomClientOptions options, string peer, CancellationToken ct)
    {
        var ca = tls.LoadCa();
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        var certificate = tls.LoadCertificate();
        var auth = new SslClientAuthenticationOptions
        {
            TargetHost = tls.ServerName ?? options.Host,
            EnabledSslProtocols = DicomTlsOptions.Protocols,
            RemoteCertificateValidationCallback = DicomTlsOptions.Validator(ca, requireName: tls.ServerName is not null),
            ClientCertificates = certificate is null ? null : [certificate],
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            await ssl.AuthenticateAsClientAsync(auth, timeout.Token).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException or OperationCanceledException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            var reason = e is OperationCanceledException ? "handshake timed out"
                : e.Message.Contains("certificate", StringComparison.OrdinalIgnoreCase) ? "certificate not trusted (" + e.Message + ")" : e.Message;
            throw new DicomNetworkException($"TLS failure with {peer}: {reason}", e) { IsTransient = e is OperationCanceledException or IOException };
        }
    }
}
