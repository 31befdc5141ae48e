using System.Net.Security;
using System.Net.Sockets;

namespace Gateway.Dicom.Network;

/// <summary>Opens SCU associations (PS3.8 §9.2: Evt1 → AE-1 → Evt2 → AE-2 → Evt3 AE-3 / Evt4 AE-4).</summary>
public static class DicomClient
{
    public static async Task<DicomClientAssociation> OpenAsync(
        DicomClientOptions options, IReadOnlyList<PresentationContextProposal> contexts, CancellationToken ct = default)
    {
        var peer = $"{options.Host}:{options.Port} ({options.CalledAE})";
        var (stream, socket) = await ConnectAsync(options, peer, ct).ConfigureAwait(false);
        var connection = new DicomConnection(stream, peer, socket)
        {
            MaxReceivePdu = options.MaxPduLength,
        };
        try
        {
            connection.Transition(UlEvent.Evt1); // AE-1: the transport connect above
            connection.Transition(UlEvent.Evt2); // AE-2: send A-ASSOCIATE-RQ
            var rq = new AssociateRequest(options.CalledAE, options.CallingAE, contexts, new UserInformation
            {
                MaxPduLength = options.MaxPduLength,
                ImplementationClassUid = DicomImplementation.ClassUid,
                ImplementationVersionName = DicomImplementation.VersionName,
                Identity = options.Identity,
            });
            await connection.SendAsync(PduEncoder.AssociateRequest(rq), ct).ConfigureAwait(false);

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.AssociationTimeout);
            ReceivedPdu pdu;
            try
            {
                pdu = await connection.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                await connection.TrySendAbortAsync(AbortSource.ServiceUser, AbortReason.NotSpecified).ConfigureAwait(false);
                throw new DicomNetworkException($"{peer} did not answer the association request within {options.AssociationTimeout.TotalSeconds:0} s");
            }
            switch (pdu.Type)
            {
                case PduType.AssociateAccept:
                    connection.Transition(UlEvent.Evt3); // AE-3
                    var ac = PduParser.ParseAssociateAccept(pdu.Body.Span);
                    return new DicomClientAssociation(connection, options, rq, ac);
                case PduType.AssociateReject:
                    connection.Transition(UlEvent.Evt4); // AE-4: close
                    throw new DicomAssociationRejectedException(PduParser.ParseAssociateReject(pdu.Body.Span));
                case PduType.Abort:
                    connection.Transition(UlEvent.Evt16); // AA-3
                    var abort = PduParser.ParseAbort(pdu.Body.Span);
                    throw new DicomAbortedException($"{peer} aborted the association request (source {abort.Source}, reason {abort.Reason})", abort);
                default:
                    connection.Transition(UlEvent.Evt19); // AA-8
                    await connection.TrySendAbortAsync(AbortSource.ServiceProvider, AbortReason.UnexpectedPdu).ConfigureAwait(false);
                    throw new DicomAbortedException($"{peer} answered the association request with {pdu.Type}");
            }
        }
        catch (DicomProtocolException e)
        {
            await connection.TrySendAbortAsync(AbortSource.ServiceProvider, e.Reason).ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new DicomAbortedException($"{peer} broke the protocol: {e.Message}");
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
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
