using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Testing;
using Gateway.Web.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Gateway.Web.Tests;

/// <summary>
/// The /metrics listener of a box and of the fleet view without Kestrel (issue #21): the request head it reads
/// (<see cref="MetricsRequest"/>) and the rules it keeps: readable only from the allowed networks (403 with the
/// text given, said through the callback), any other path 404, nothing but GET where asked, no body (413), a bounded
/// head (431), one request a connection, a bounded number of connections, and a handler that throws costs only its
/// own connection.
/// </summary>
public sealed class PrometheusListenerTests
{
    private static readonly byte[] Golden = Encoding.ASCII.GetBytes(
        "GET /metrics?x=1 HTTP/1.1\r\nHost: 10.0.0.5:9464\r\nAccept: application/openmetrics-text;version=1.0.0\r\nUser-Agent: Prometheus/2.45\r\n" +
        "accept: text/plain;q=0.5\r\nContent-Length: 0\r\n\r\n");

    [Fact]
    public void A_head_is_found_only_when_complete_wherever_the_bytes_are_split()
    {
        for (var i = 0; i < Golden.Length; i++)
            Assert.Equal(0, MetricsRequest.HeadLength(Golden.AsSpan(0, i)));
        Assert.Equal(Golden.Length, MetricsRequest.HeadLength(Golden));
        Assert.Equal(Golden.Length, MetricsRequest.HeadLength([.. Golden, .. "GET / HTTP/1.1\r\n"u8]));

        Assert.True(MetricsRequest.TryParse(Golden, out var request));
        Assert.Equal(new MetricsRequest("GET", "/metrics", "application/openmetrics-text;version=1.0.0, text/plain;q=0.5", HasBody: false), request);
    }

    [Theory]
    [InlineData("GET /metrics HTTP/1.0\r\n\r\n", "GET", "/metrics", false)]
    [InlineData("HEAD /metrics HTTP/1.1\r\nHost:x\r\n\r\n", "HEAD", "/metrics", false)]
    [InlineData("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\n", "POST", "/metrics", true)]
    [InlineData("POST /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "POST", "/metrics", true)]
    [InlineData("GET http://x/metrics HTTP/1.1\r\n\r\n", "GET", "http://x/metrics", false)]
    [InlineData("GET /metrics/ HTTP/1.1\r\n\r\n", "GET", "/metrics/", false)]
    public void Well_formed_heads_give_their_method_path_and_body(string head, string method, string path, bool hasBody)
    {
        Assert.True(MetricsRequest.TryParse(Encoding.ASCII.GetBytes(head), out var request));
        Assert.Equal((method, path, hasBody), (request.Method, request.Path, request.HasBody));
    }

    [Theory]
    [InlineData("GET /metrics HTTP/2.0\r\n\r\n")]
    [InlineData("GET /metrics\r\n\r\n")]
    [InlineData("GET  HTTP/1.1\r\n\r\n")]
    [InlineData(" GET /metrics HTTP/1.1\r\n\r\n")]
    [InlineData("G(T /metrics HTTP/1.1\r\n\r\n")]
    [InlineData("GET /met rics HTTP/1.1\r\n\r\n")]
    [InlineData("GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n")]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n")]
    [InlineData("GET /metrics HTTP/1.1\r\nno colon\r\n\r\n")]
    [InlineData("GET /metrics HTTP/1.1\r\nAccept: a\nb\r\n\r\n")]
    [InlineData("\r\n\r\n")]
    public void Malformed_heads_are_refused(string head) =>
        Assert.False(MetricsRequest.TryParse(Encoding.ASCII.GetBytes(head), out _));

    [Fact]
    public async Task Allowed_get_is_answered_by_the_handler_and_the_connection_then_closed()
    {
        await using var listener = Start(Loopback, getOnly: true, out _);
        var answer = await ExchangeAsync(listener.EndPoint, "GET /metrics HTTP/1.1\r\nHost: box\r\nAccept: text/plain\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("\r\nContent-Type: text/plain; version=0.0.4\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: close\r\n", answer, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nsample 1 accept=text/plain\n", answer, StringComparison.Ordinal);

        // Over HttpClient as Prometheus would (the body ends with the connection).
        using var http = new HttpClient();
        Assert.Equal("sample 1 accept=\n", await http.GetStringAsync(new Uri($"http://{listener.EndPoint}/metrics")));
    }

    [Fact]
    public async Task An_address_not_allowed_gets_403_with_the_text_and_other_paths_404()
    {
        await using var listener = Start([IPNetwork.Parse("10.0.0.0/8")], getOnly: true, out var refused);
        var answer = await ExchangeAsync(listener.EndPoint, "GET /metrics HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 403 Forbidden\r\n", answer, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n403: not for you\n", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("sample", answer, StringComparison.Ordinal);
        Assert.Equal(["127.0.0.1"], refused);
        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", await ExchangeAsync(listener.EndPoint, "GET / HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", await ExchangeAsync(listener.EndPoint, "GET /metrics/x HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
        Assert.Single(refused);
    }

    [Fact]
    public async Task Only_get_where_asked_no_body_a_bounded_head_and_nothing_malformed()
    {
        await using var box = Start(Loopback, getOnly: true, out _);
        Assert.StartsWith("HTTP/1.1 404 ", await ExchangeAsync(box.EndPoint, "DELETE /metrics HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 413 ", await ExchangeAsync(box.EndPoint, "GET /metrics HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400 ", await ExchangeAsync(box.EndPoint, "GET /metrics HTTP/1.1\nHost: x\n\n\r\n\r\n"), StringComparison.Ordinal);
        var huge = "GET /metrics HTTP/1.1\r\n" + string.Concat(Enumerable.Range(0, 200).Select(i => $"X-Filler-{i}: {new string('a', 80)}\r\n")) + "\r\n";
        Assert.StartsWith("HTTP/1.1 431 ", await ExchangeAsync(box.EndPoint, huge), StringComparison.Ordinal);

        await using var fleet = Start(Loopback, getOnly: false, out _);
        Assert.StartsWith("HTTP/1.1 200 ", await ExchangeAsync(fleet.EndPoint, "POST /metrics HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
        var head = await ExchangeAsync(fleet.EndPoint, "HEAD /metrics HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 ", head, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connections_past_the_limit_are_closed_and_a_throwing_handler_costs_only_its_own()
    {
        await using var listener = PrometheusListener.Start(new IPEndPoint(IPAddress.Loopback, 0), context =>
            context.Request.Headers.Accept == "boom" ? throw new InvalidOperationException("the exporter failed") : Answer(context),
            Loopback, getOnly: true, maxConnections: 2, _ => { }, "no\n", NullLogger.Instance);

        // Two connections that have not finished their heads take both places: a third is closed unanswered.
        using var idle1 = await ConnectAsync(listener.EndPoint);
        using var idle2 = await ConnectAsync(listener.EndPoint);
        await SendAsync(idle1, "GET /met");
        await SendAsync(idle2, "GET /met");
        Assert.Equal("", await ExchangeAsync(listener.EndPoint, "GET /metrics HTTP/1.1\r\n\r\n"));

        // Once they are done, the places come back.
        await SendAsync(idle1, "rics HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 ", await ReadToEndAsync(idle1), StringComparison.Ordinal);
        idle2.Dispose();
        await AnsweredAsync(listener.EndPoint, "GET /metrics HTTP/1.1\r\n\r\n");

        // The handler throws: that request gets 500, and the next one is answered.
        Assert.StartsWith("HTTP/1.1 500 ", await ExchangeAsync(listener.EndPoint, "GET /metrics HTTP/1.1\r\nAccept: boom\r\n\r\n"), StringComparison.Ordinal);
        await AnsweredAsync(listener.EndPoint, "GET /metrics HTTP/1.1\r\n\r\n");
    }

    [Fact]
    public async Task Addresses_outside_the_allowed_networks_cannot_take_the_allowed_scrapers_places()
    {
        // 127.0.0.1 may read; 127.0.0.2 (the same loopback, another address) may not.
        await using var listener = PrometheusListener.Start(new IPEndPoint(IPAddress.Loopback, 0), Answer, [IPNetwork.Parse("127.0.0.1/32")],
            getOnly: true, maxConnections: 2, _ => { }, "no\n", NullLogger.Instance);
        var at = listener.EndPoint;
        var outsiders = new List<Socket>();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                var s = await ConnectAsync(at, from: IPAddress.Parse("127.0.0.2"));
                outsiders.Add(s);
                await SendAsync(s, "GET /met"); // and never finish
            }
            // They hold their own four places at most; the allowed scraper is answered all the same.
            await AnsweredAsync(at, "GET /metrics HTTP/1.1\r\n\r\n");
            using var late = await ConnectAsync(at, from: IPAddress.Parse("127.0.0.2"));
            await SendAsync(late, "GET /metrics HTTP/1.1\r\n\r\n");
            Assert.Equal("", await ReadToEndAsync(late)); // a fifth outsider is closed unanswered
            await SendAsync(outsiders[0], "rics HTTP/1.1\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 403 ", await ReadToEndAsync(outsiders[0]), StringComparison.Ordinal); // one holding a place: refused
        }
        finally
        {
            foreach (var s in outsiders)
                s.Dispose();
        }
    }

    /// <summary>Asks until answered 200: a place is given back just after its connection is closed.</summary>
    private static async Task AnsweredAsync(IPEndPoint endPoint, string request)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!(await ExchangeAsync(endPoint, request)).StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "never answered");
            await Task.Delay(50);
        }
    }

    [Fact]
    public void A_port_taken_is_an_IOException()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var endPoint = (IPEndPoint)taken.LocalEndpoint;
        var e = Assert.Throws<IOException>(() => PrometheusListener.Start(endPoint, Answer, Loopback, getOnly: true, maxConnections: 2, _ => { }, "", NullLogger.Instance));
        Assert.IsType<SocketException>(e.InnerException);
    }

    private static readonly IPNetwork[] Loopback = [IPNetwork.Parse("127.0.0.0/8")];

    private static PrometheusListener Start(IReadOnlyList<IPNetwork> allow, bool getOnly, out List<string> refused)
    {
        var said = new List<string>();
        refused = said;
        return PrometheusListener.Start(new IPEndPoint(IPAddress.Loopback, 0), Answer, allow, getOnly, maxConnections: 4, r => { lock (said) said.Add(r); },
            "403: not for you\n", NullLogger.Instance);
    }

    /// <summary>What the exporter's middleware does: a status, a content type, one write.</summary>
    private static async Task Answer(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain; version=0.0.4";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes($"sample 1 accept={context.Request.Headers.Accept}\n"));
    }

    private static async Task<Socket> ConnectAsync(IPEndPoint endPoint, IPAddress? from = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (from is not null)
            socket.Bind(new IPEndPoint(from, 0));
        await socket.ConnectAsync(endPoint);
        return socket;
    }

    private static async Task SendAsync(Socket socket, string text) => await socket.SendAsync(Encoding.ASCII.GetBytes(text));

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var all = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
                all.Write(buffer, 0, n);
        }
        catch (SocketException)
        {
            // A reset after the answer (or instead of it) ends it as well.
        }
        return Encoding.UTF8.GetString(all.ToArray());
    }

    private static async Task<string> ExchangeAsync(IPEndPoint endPoint, string request)
    {
        using var socket = await ConnectAsync(endPoint);
        try
        {
            await SendAsync(socket, request);
        }
        catch (SocketException)
        {
            // Closed before it was all sent: whatever came back is the answer.
        }
        return await ReadToEndAsync(socket);
    }
}
