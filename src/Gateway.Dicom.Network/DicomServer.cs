using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Dicom.Network;

/// <summary>
/// A storage SCP (C-ECHO and C-STORE, and the DIMSE services of <see cref="DicomServerOptions.Handlers"/>) serving many
/// concurrent associations. A hostile or broken peer costs one
/// connection, never the server: every association runs in its own task with bounded buffers and timeouts.
/// </summary>
public sealed class DicomServer : IAsyncDisposable
{
    private readonly DicomServerOptions _options;
    private readonly ILogger _logger;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private Task _acceptLoop = Task.CompletedTask;
    private int _active;

    private DicomServer(DicomServerOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _listener = new TcpListener(options.Address, options.Port);
    }

    /// <summary>Test hook: called with each accepted socket once it is tuned.</summary>
    internal Action<Socket>? Accepted { get; set; }

    /// <summary>The port it listens on (the one picked when 0 was asked for).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Associations being served right now.</summary>
    public int ActiveAssociations => Volatile.Read(ref _active);

    public static DicomServer Start(DicomServerOptions options, ILogger? logger = null)
    {
        Directory.CreateDirectory(options.OutputDirectory);
        var server = new DicomServer(options, logger ?? NullLogger.Instance);
        server._listener.Start(backlog: 64);
        NetworkLog.Listening(server._logger, options.AeTitle, server._listener.LocalEndpoint.ToString() ?? "");
        server._acceptLoop = server.AcceptLoopAsync();
        return server;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // a connection that died before we took it
            }
            if (Volatile.Read(ref _active) >= 2 * _options.MaxAssociations)
            {
                // A flood of connections: beyond twice the limit (those get A-ASSOCIATE-RJ, transient) a connection
                // is closed at once — no reader thread, no TLS handshake, no buffers for it.
                NetworkLog.ConnectionClosed(_logger, socket.RemoteEndPoint?.ToString() ?? "?", "too many connections");
                socket.Dispose();
                continue;
            }
            var task = ServeAsync(socket);
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(task);
            }
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var peer = socket.RemoteEndPoint?.ToString() ?? "?";
        Interlocked.Increment(ref _active);
        try
        {
            TcpTuning.Apply(socket, _options.QuickAck);
            socket.SendTimeout = (int)Math.Min(int.MaxValue, _options.DimseTimeout.TotalMilliseconds);
            Accepted?.Invoke(socket);
            Stream stream = new QuickAckStream(socket, _options.QuickAck);
            if (_options.Tls is { } tls)
            {
                // Blocking, on a thread of its own: the socket stays in blocking mode for the association's reader.
                var ssl = await Task.Factory.StartNew(() => AcceptTls(stream, tls, peer, socket), _stop.Token,
                    TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
                if (ssl is null)
                    return;
                stream = ssl;
            }
            using var connection = new DicomConnection(stream, peer, socket) { MaxReceivePdu = _options.MaxPduLength };
            using var association = new ServerAssociation(_options, _logger, () => Volatile.Read(ref _active) > _options.MaxAssociations);
            await association.RunAsync(connection, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DicomNetworkException or IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            NetworkLog.ConnectionClosed(_logger, peer, e.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
            socket.Dispose();
        }
    }

    private SslStream? AcceptTls(Stream stream, DicomTlsOptions tls, string peer, Socket socket)
    {
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        var ca = tls.LoadCa();
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificate = tls.LoadCertificate() ?? throw new DicomNetworkException("a TLS SCP needs a certificate and key"),
            EnabledSslProtocols = DicomTlsOptions.Protocols,
            ClientCertificateRequired = tls.RequireClientCertificate,
            // A client certificate is checked against our CA whenever one is presented; required only with mutual TLS.
            RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                certificate is null ? !tls.RequireClientCertificate : DicomTlsOptions.Validator(ca, requireName: false)(sender, certificate, chain, errors),
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };
        // The time limit (and the server stopping) closes the socket, which ends the blocking handshake.
        using var timer = new Timer(_ => socket.Dispose(), null, _options.AssociationTimeout, Timeout.InfiniteTimeSpan);
        using var stopping = _stop.Token.Register(socket.Dispose);
        try
        {
            ssl.AuthenticateAsServer(options);
            return ssl;
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException or ObjectDisposedException or SocketException)
        {
            NetworkLog.ConnectionClosed(_logger, peer, "TLS handshake failed: " + e.Message);
            ssl.Dispose();
            return null;
        }
    }

    public async Task StopAsync()
    {
        if (_stop.IsCancellationRequested)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
        Task[] pending;
        lock (_connections)
            pending = [.. _connections];
        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
