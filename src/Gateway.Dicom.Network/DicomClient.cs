using System.Net;
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

    /// <summary>
    /// Opens the transport. The connect and the TLS handshake are blocking calls on a thread of their own: a socket
    /// that has seen one asynchronous operation stays in non-blocking mode for good, and the association's reader
    /// then pays an event-loop wake-up and a thread hand-over for every PDU (issue #16, docs/benchmarks.md). Time
    /// limits and cancellation close the socket, which ends the blocking call.
    /// </summary>
    private static async Task<(Stream, Socket)> ConnectAsync(DicomClientOptions options, string peer, CancellationToken ct)
    {
        // The name is resolved first, within the connect time limit (a blocking connect by name could not be cut short).
        IPAddress[] addresses;
        if (IPAddress.TryParse(options.Host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.ConnectTimeout);
            try
            {
                addresses = await Dns.GetHostAddressesAsync(options.Host, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new DicomNetworkException($"{peer}: resolving the host name timed out after {options.ConnectTimeout.TotalSeconds:0} s");
            }
            catch (SocketException e)
            {
                throw new DicomNetworkException($"{peer}: host not found", e);
            }
        }
        return await Task.Factory.StartNew(() => Connect(options, addresses, peer, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
    }

    private static (Stream, Socket) Connect(DicomClientOptions options, IPAddress[] addresses, string peer, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var timedOut = false;
        using var timer = new Timer(_ =>
        {
            timedOut = true;
            socket.Dispose();
        }, null, options.ConnectTimeout, Timeout.InfiniteTimeSpan);
        using var cancel = ct.Register(socket.Dispose);
        try
        {
            TcpTuning.Apply(socket, options.QuickAck);
            try
            {
                socket.Connect(addresses, options.Port);
            }
            catch (Exception e) when (e is ObjectDisposedException || (e is SocketException && (timedOut || ct.IsCancellationRequested)))
            {
                ct.ThrowIfCancellationRequested();
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
                stream = StartTls(stream, tls, options, peer, () => timedOut, ct);
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            if (timedOut)
                throw new DicomNetworkException($"connecting to {peer} timed out after {options.ConnectTimeout.TotalSeconds:0} s");
            return (stream, socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static SslStream StartTls(Stream stream, DicomTlsOptions tls, DicomClientOptions options, string peer, Func<bool> timedOut, CancellationToken ct)
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
        try
        {
            ssl.AuthenticateAsClient(auth);
            return ssl;
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException or ObjectDisposedException or SocketException)
        {
            ssl.Dispose();
            ct.ThrowIfCancellationRequested();
            var late = timedOut() || e is ObjectDisposedException;
            var reason = late ? "handshake timed out"
                : e.Message.Contains("certificate", StringComparison.OrdinalIgnoreCase) ? "certificate not trusted (" + e.Message + ")" : e.Message;
            throw new DicomNetworkException($"TLS failure with {peer}: {reason}", e) { IsTransient = late || e is IOException };
        }
    }
}
