using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Gateway.Web.Metrics;

/// <summary>
/// The small listener that serves <c>/metrics</c> through OpenTelemetry's Prometheus exporter, for a box
/// (<see cref="BoxMetricsServer"/>: one <see cref="MeterProvider"/>) and for the fleet view
/// (<see cref="Fleet.FleetWebServer"/>: a provider sized to the fleet, replaced as it grows). Plain HTTP/1.1, one
/// request a connection (the answer ends with the connection), no request body (413), 16 KiB of head (431, and 10 s to
/// send it); readable only from the <c>allow</c> networks (anyone else 403 with <c>refusedText</c>, said through
/// <c>refused</c>); any other path 404.
/// <para>
/// Not Kestrel (issue #21): Kestrel, the web host, its configuration and dependency injection were a good part of the
/// memory of `gateway fleet`, which serves nothing else without its page. The exporter's own ASP.NET Core middleware
/// still writes every answer (the text format is not ours), in a pipeline of its own without a server
/// (<see cref="Exporter"/>), fed the request this listener read; only the HTTP abstractions are loaded for it.
/// </para>
/// </summary>
internal sealed class PrometheusListener : IAsyncDisposable
{
    private static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);
    private readonly Socket _socket;
    private readonly RequestDelegate _scrape;
    private readonly IReadOnlyList<IPNetwork> _allow;
    private readonly bool _getOnly;
    private readonly Action<string> _refused;
    private readonly byte[] _refusedText;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _slots;
    private readonly SemaphoreSlim _refusedSlots = new(RefusedConnections, RefusedConnections);
    private const int RefusedConnections = 4;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<Task> _open = [];
    private Task _accepting = Task.CompletedTask;

    private PrometheusListener(Socket socket, RequestDelegate scrape, IReadOnlyList<IPNetwork> allow, bool getOnly, int maxConnections, Action<string> refused,
        string refusedText, ILogger log)
    {
        _socket = socket;
        _scrape = scrape;
        _allow = allow;
        _getOnly = getOnly;
        _slots = new SemaphoreSlim(maxConnections, maxConnections);
        _refused = refused;
        _refusedText = Encoding.UTF8.GetBytes(refusedText);
        _log = log;
        EndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>The address and port actually listened on.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Binds and starts; throws an <see cref="IOException"/> when the address cannot be bound (port taken, address not local).</summary>
    /// <param name="scrape">Answers an allowed request for /metrics (see <see cref="Exporter"/>).</param>
    /// <param name="getOnly">Answer nothing but GET (404 otherwise).</param>
    /// <param name="maxConnections">Connections served at once; more are closed as they come.</param>
    public static PrometheusListener Start(IPEndPoint listen, RequestDelegate scrape, IReadOnlyList<IPNetwork> allow, bool getOnly, int maxConnections,
        Action<string> refused, string refusedText, ILogger log)
    {
        var socket = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (listen.Address.Equals(IPAddress.IPv6Any))
                socket.DualMode = true;
            // The listener closes every connection first, so its port is in TIME_WAIT after a restart.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(listen);
            socket.Listen(64);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException(e.Message, e);
        }
        var listener = new PrometheusListener(socket, scrape, allow, getOnly, maxConnections, refused, refusedText, log);
        listener._accepting = Task.Run(listener.AcceptLoopAsync);
        return listener;
    }

    /// <summary>OpenTelemetry's scraping middleware for <paramref name="meters"/>, in a pipeline of its own with no server and no services.</summary>
    public static RequestDelegate Exporter(MeterProvider meters) =>
        new ApplicationBuilder(NoServices.Instance)
            .UseOpenTelemetryPrometheusScrapingEndpoint(meters, predicate: null, path: "/metrics", configureBranchedPipeline: null, optionsName: null)
            .Build();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _accepting.ConfigureAwait(false);
        Task[] open;
        lock (_open)
            open = [.. _open];
        await Task.WhenAll(open).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    /// <summary>Survives every failure of accept (logged, then a second's pause); ends when the listener is disposed.</summary>
    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _socket.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                MetricsLog.AcceptFailed(_log, EndPoint.ToString(), e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            // Addresses outside the allowed networks have slots of their own, so that they cannot hold every slot (each
            // may take 10 s to send its head) and keep the allowed scraper out: they are answered 403 all the same.
            var slots = Allowed((connection.RemoteEndPoint as IPEndPoint)?.Address) ? _slots : _refusedSlots;
            if (!slots.Wait(0))
            {
                connection.Dispose();
                continue;
            }
            var served = Task.Run(() => ServeAsync(connection, slots));
            lock (_open)
                _open.Add(served);
            _ = served.ContinueWith(t =>
            {
                lock (_open)
                    _open.Remove(t);
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>One request, one answer, then the connection is closed; never throws.</summary>
    private async Task ServeAsync(Socket connection, SemaphoreSlim slots)
    {
        var remote = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            deadline.CancelAfter(HeadTimeout);
            await using var stream = new NetworkStream(connection, ownsSocket: true);
            var received = new byte[MetricsRequest.MaxHeadBytes];
            var filled = 0;
            int head;
            while ((head = MetricsRequest.HeadLength(received.AsSpan(0, filled))) == 0)
            {
                if (filled == received.Length)
                {
                    await PlainAsync(stream, 431, "Request Header Fields Too Large", [], deadline.Token).ConfigureAwait(false);
                    return;
                }
                var n = await stream.ReadAsync(received.AsMemory(filled), deadline.Token).ConfigureAwait(false);
                if (n == 0)
                    return;
                filled += n;
            }
            deadline.CancelAfter(AnswerTimeout);
            if (!MetricsRequest.TryParse(received.AsSpan(0, head), out var request))
                await PlainAsync(stream, 400, "Bad Request", [], deadline.Token).ConfigureAwait(false);
            else if (request.HasBody)
                await PlainAsync(stream, 413, "Content Too Large", [], deadline.Token).ConfigureAwait(false);
            else if (!string.Equals(request.Path, "/metrics", StringComparison.Ordinal) || (_getOnly && request.Method != "GET"))
                await PlainAsync(stream, 404, "Not Found", [], deadline.Token).ConfigureAwait(false);
            else if (remote is null || !Allowed(remote))
            {
                _refused(remote?.ToString() ?? "unknown");
                await PlainAsync(stream, 403, "Forbidden", _refusedText, deadline.Token).ConfigureAwait(false);
            }
            else
                await ScrapeAsync(stream, request, remote, deadline.Token).ConfigureAwait(false);
            connection.Shutdown(SocketShutdown.Send);
            await DrainAsync(stream, received, deadline).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            MetricsLog.ConnectionEnded(_log, remote?.ToString() ?? "unknown", e.Message);
        }
        catch (Exception e)
        {
            MetricsLog.ConnectionFailed(_log, remote?.ToString() ?? "unknown", e);
        }
        finally
        {
            connection.Dispose();
            slots.Release();
        }
    }

    private bool Allowed(IPAddress? remote) => remote is not null && _allow.Any(n => n.Contains(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote));

    private async Task ScrapeAsync(Stream stream, MetricsRequest request, IPAddress remote, CancellationToken cancel)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = request.Method;
        context.Request.Protocol = "HTTP/1.1";
        context.Request.Path = request.Path;
        if (request.Accept is { } accept)
            context.Request.Headers.Accept = accept;
        context.Connection.RemoteIpAddress = remote;
        context.RequestAborted = cancel;
        var answer = new AnswerStream(stream, context.Response, body: !HttpMethods.IsHead(request.Method), cancel);
        context.Response.Body = answer;
        try
        {
            await _scrape(context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (IOException or SocketException or OperationCanceledException or ObjectDisposedException))
        {
            MetricsLog.ConnectionFailed(_log, remote.ToString(), e);
            if (!answer.Started)
                await PlainAsync(stream, 500, "Internal Server Error", [], cancel).ConfigureAwait(false);
            return;
        }
        await answer.EndAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// After the answer, what the client still sends (a body it was told not to send, the rest of a head too long) is
    /// read and dropped until it closes, for at most a second and 64 KiB: closing with bytes unread would reset the
    /// connection, and the client could lose the answer.
    /// </summary>
    private static async Task DrainAsync(Stream stream, byte[] buffer, CancellationTokenSource deadline)
    {
        deadline.CancelAfter(TimeSpan.FromSeconds(1));
        var left = 64 * 1024;
        try
        {
            int n;
            while (left > 0 && (n = await stream.ReadAsync(buffer, deadline.Token).ConfigureAwait(false)) > 0)
                left -= n;
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            // It did not close in time, or reset: the answer went out all the same.
        }
    }

    /// <summary>An answer of our own (errors and refusals): the text given, and the connection then closed.</summary>
    private static async Task PlainAsync(Stream stream, int status, string reason, byte[] text, CancellationToken cancel)
    {
        var head = $"HTTP/1.1 {status} {reason}\r\nContent-Length: {text.Length}\r\n{(text.Length > 0 ? "Content-Type: text/plain; charset=utf-8\r\n" : "")}Connection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancel).ConfigureAwait(false);
        if (text.Length > 0)
            await stream.WriteAsync(text, cancel).ConfigureAwait(false);
    }

    /// <summary>
    /// The response body the exporter writes to: the status line and headers it set go out before its first bytes
    /// (or at the end if it wrote none), and the body ends with the connection (no length is known before).
    /// </summary>
    private sealed class AnswerStream(Stream stream, HttpResponse response, bool body, CancellationToken cancel) : Stream
    {
        public bool Started { get; private set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await StartAsync().ConfigureAwait(false);
            if (body)
                await stream.WriteAsync(buffer, cancel).ConfigureAwait(false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public Task EndAsync() => StartAsync();

        private async Task StartAsync()
        {
            if (Started)
                return;
            Started = true;
            var head = new StringBuilder();
            head.Append("HTTP/1.1 ").Append(response.StatusCode).Append(' ').Append(Reason(response.StatusCode)).Append("\r\n");
            foreach (var (name, values) in response.Headers)
            {
                // The exporter's headers (Content-Type, Last-Modified); none of them can carry a line break.
                if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    continue;
                foreach (var value in values)
                {
                    if (value is not null && value.AsSpan().IndexOfAny('\r', '\n') < 0)
                        head.Append(name).Append(": ").Append(value).Append("\r\n");
                }
            }
            head.Append("Connection: close\r\n\r\n");
            await stream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()), cancel).ConfigureAwait(false);
        }

        private static string Reason(int status) => status switch
        {
            200 => "OK",
            404 => "Not Found",
            500 => "Internal Server Error",
            503 => "Service Unavailable",
            _ => "Status",
        };
    }

    /// <summary>The exporter's pipeline asks for no service when given its MeterProvider and path.</summary>
    private sealed class NoServices : IServiceProvider
    {
        public static readonly NoServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
