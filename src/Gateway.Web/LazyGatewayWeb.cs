using System.Net;
using System.Net.Sockets;
using Gateway.Configuration;
using Gateway.Web.Security;
using Microsoft.Extensions.Logging;

namespace Gateway.Web;

/// <summary>
/// The technician's page, started on its first visitor (issue #15: the box's idle memory). At service start the ports
/// are bound and listening, the setup code and the certificate's fingerprint are announced as before — so a technician
/// can read them and connect — but ASP.NET Core (≈ 45 MB of the process) is built only when the first connection
/// waits on either port; Kestrel then takes over the very sockets and accepts that connection. Once started it stays.
/// </summary>
public sealed class LazyGatewayWeb : IAsyncDisposable
{
    private readonly WebConfig _config;
    private readonly IGatewayControl _control;
    private readonly ILoggerFactory _loggers;
    private readonly WebListeners _listeners;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _waiting;
    private readonly ILogger _log;
    private GatewayWeb? _web;

    private LazyGatewayWeb(WebConfig config, IGatewayControl control, ILoggerFactory loggers, WebListeners listeners)
    {
        _config = config;
        _control = control;
        _loggers = loggers;
        _listeners = listeners;
        _log = loggers.CreateLogger(WebLog.Category);
        _waiting = Task.Factory.StartNew(WaitForVisitor, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>The HTTPS port listened on.</summary>
    public int Port => ((IPEndPoint)_listeners.Https.LocalEndPoint!).Port;

    /// <summary>True once ASP.NET Core runs (the first visitor came).</summary>
    public bool Started => _web is not null;

    /// <summary>Raised after the first password was set (see <see cref="WebState.SetUp"/>).</summary>
    public event Action? SetUp;

    /// <summary>Binds the ports and announces the page; throws what binding throws (port taken, bad address).</summary>
    public static LazyGatewayWeb Start(WebConfig config, IGatewayControl control, ILoggerFactory loggers)
    {
        var log = loggers.CreateLogger(WebLog.Category);
        var users = new UserStore(config.StateDirectory);
        var certificate = HttpsCertificate.LoadOrCreate(config.StateDirectory, config.CertificateFile, config.KeyFile);
        var address = IPAddress.Parse(users.IsSetUp ? config.Bind : config.BindBeforeSetup);
        var https = Listen(address, config.Port);
        Socket? http = null;
        try
        {
            if (config.HttpRedirectPort != 0)
                http = Listen(address, config.HttpRedirectPort);
        }
        catch
        {
            https.Dispose();
            throw;
        }
        var web = new LazyGatewayWeb(config, control, loggers, new WebListeners(https, http));
        GatewayWeb.Announce(log, config, users, address, web.Port, HttpsCertificate.Fingerprint(certificate));
        return web;
    }

    private static Socket Listen(IPAddress address, int port)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(128);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sleeps in the kernel until a connection waits, then starts the page on the same sockets.</summary>
    private async Task WaitForVisitor()
    {
        var sockets = new List<Socket> { _listeners.Https };
        if (_listeners.Http is { } http)
            sockets.Add(http);
        while (!_stop.IsCancellationRequested)
        {
            var ready = new List<Socket>(sockets);
            try
            {
                Socket.Select(ready, null, null, 1_000_000);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            if (ready.Count == 0 || _stop.IsCancellationRequested)
                continue;
            try
            {
                var web = await GatewayWeb.StartAsync(_config, _control, _loggers, listeners: _listeners).ConfigureAwait(false);
                web.State.SetUp += () => SetUp?.Invoke();
                _web = web;
                return;
            }
            catch (Exception e)
            {
                // The connection waits in the backlog; the next look tries again (said once a second at most).
                WebLog.StartFailed(_log, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _waiting.ConfigureAwait(false);
        if (_web is not null)
            await _web.DisposeAsync().ConfigureAwait(false);
        _listeners.Https.Dispose();
        _listeners.Http?.Dispose();
        _stop.Dispose();
    }
}
