using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace Gateway.Host.Service;

/// <summary>A request of `gateway spool retry|purge` to the running service (one JSON line).</summary>
internal sealed record SpoolControlRequest(string Action, string? Id, string? Destination);

/// <summary>The service's answer (one JSON line): whether it was done, and what happened in plain words.</summary>
internal sealed record SpoolControlReply(bool Ok, string Message);

[JsonSerializable(typeof(SpoolControlRequest))]
[JsonSerializable(typeof(SpoolControlReply))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class SpoolControlJson : JsonSerializerContext;

/// <summary>
/// The running service's door for commands that change the spool (issue #13 item 6): a Unix socket
/// <c>SPOOL/control.sock</c>, mode 0600 (only the service's user and root), one JSON request line and one JSON answer
/// line per connection. Only the process holding the spool's lock changes the spool; `gateway spool retry|purge` asks
/// it here while it runs. Requests are bounded (4 KiB, 5 s); a failing request is answered or dropped, never fatal.
/// </summary>
internal sealed class SpoolControlServer : IAsyncDisposable
{
    private const int MaxRequest = 4096;
    private readonly Socket _listener;
    private readonly Func<SpoolControlRequest, SpoolControlReply> _handle;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public static string PathOf(string spoolDirectory) => Path.Combine(spoolDirectory, "control.sock");

    private SpoolControlServer(string path, Func<SpoolControlRequest, SpoolControlReply> handle, ILogger log)
    {
        _handle = handle;
        _log = log;
        // We hold the spool's lock: a socket file left here is a dead process's.
        File.Delete(path);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _listener.Listen(8);
        _accepting = AcceptAsync(_stop.Token);
    }

    /// <summary>Starts the socket, or logs why it cannot (a path too long for a Unix socket, a bind error) and returns null: the service runs on.</summary>
    public static SpoolControlServer? TryStart(string spoolDirectory, Func<SpoolControlRequest, SpoolControlReply> handle, ILogger log)
    {
        try
        {
            return new SpoolControlServer(PathOf(Path.GetFullPath(spoolDirectory)), handle, log);
        }
        catch (Exception e) when (e is SocketException or IOException or ArgumentException or UnauthorizedAccessException)
        {
            HostLog.ControlUnavailable(log, e.Message);
            return null;
        }
    }

    private async Task AcceptAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var client = await _listener.AcceptAsync(ct).ConfigureAwait(false);
                _ = ServeAsync(client, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                if (ct.IsCancellationRequested || e is ObjectDisposedException)
                    return;
                HostLog.ControlFailed(_log, $"{e.GetType().Name}: {e.Message}");
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken stop)
    {
        using var _ = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await using var stream = new NetworkStream(client, ownsSocket: false);
            var line = await ReadLineAsync(stream, timeout.Token).ConfigureAwait(false);
            SpoolControlReply reply;
            SpoolControlRequest? request = null;
            try
            {
                request = line is null ? null : JsonSerializer.Deserialize(line, SpoolControlJson.Default.SpoolControlRequest);
            }
            catch (JsonException)
            {
            }
            reply = request is { Action.Length: > 0 } ? _handle(request) : new SpoolControlReply(false, "not a spool control request");
            var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(reply, SpoolControlJson.Default.SpoolControlReply) + "\n");
            await stream.WriteAsync(bytes, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            // The client went away or took too long: nothing was changed for it, or it was and it can list to see.
        }
        catch (Exception e)
        {
            HostLog.ControlFailed(_log, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static async Task<string?> ReadLineAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new byte[MaxRequest];
        var fill = 0;
        while (fill < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(fill), ct).ConfigureAwait(false);
            if (n == 0)
                break;
            var end = Array.IndexOf(buffer, (byte)'\n', fill, n);
            fill += n;
            if (end >= 0)
                return Encoding.UTF8.GetString(buffer, 0, end);
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        try
        {
            await _accepting.ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    /// <summary>The client side: sends one request to the service, or returns null when no service answers there.</summary>
    public static SpoolControlReply? Ask(string spoolDirectory, SpoolControlRequest request)
    {
        var path = PathOf(Path.GetFullPath(spoolDirectory));
        if (!File.Exists(path))
            return null;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
        {
            return new SpoolControlReply(false, $"permission denied on {path}: run as the service's user or root");
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            return null;
        }
        socket.ReceiveTimeout = 120_000;
        try
        {
            using var stream = new NetworkStream(socket);
            stream.Write(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(request, SpoolControlJson.Default.SpoolControlRequest) + "\n"));
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var line = reader.ReadLine();
            if (line is null)
                return new SpoolControlReply(false, "the service closed the connection without an answer; `gateway spool list` shows what it did");
            return JsonSerializer.Deserialize(line, SpoolControlJson.Default.SpoolControlReply)
                ?? new SpoolControlReply(false, "the service's answer was empty");
        }
        catch (Exception e) when (e is IOException or SocketException or JsonException)
        {
            return new SpoolControlReply(false, $"no answer from the service ({e.Message}); `gateway spool list` shows what it did");
        }
    }
}
