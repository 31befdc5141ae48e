using System.Net.Sockets;
using Gateway.Testing;
using Xunit;

namespace Gateway.Dicom.Network.Tests;

/// <summary>Issue #9: Nagle off and TCP_QUICKACK on, read back with getsockopt from real SCU and SCP sockets.</summary>
public sealed class SocketOptionTests
{
    [Fact]
    public async Task SCU_and_SCP_sockets_have_nodelay_and_quickack_set()
    {
        using var dir = new TempDirectory();
        Socket? accepted = null;
        bool? scpQuickAck = null, scpNoDelay = null;
        var seen = new TaskCompletionSource();
        await using var server = DicomServer.Start(new DicomServerOptions { AeTitle = "SCP", Port = 0, OutputDirectory = dir.Path });
        server.Accepted = s =>
        {
            accepted = s;
            scpNoDelay = s.NoDelay;
            scpQuickAck = TcpTuning.ReadQuickAck(s);
            seen.TrySetResult();
        };
        await using var association = await DicomClient.OpenAsync(
            new DicomClientOptions { Host = "127.0.0.1", Port = server.Port, CalledAE = "SCP" }, PresentationContextPlanner.Plan([]));
        Assert.Equal(DicomStatus.Success, await association.EchoAsync());
        var socket = association.Socket!;
        Assert.True(socket.NoDelay);
        Assert.True((int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.NoDelay)! != 0);
        if (OperatingSystem.IsLinux())
            Assert.True(TcpTuning.ReadQuickAck(socket), "TCP_QUICKACK re-armed after the last receive");
        await seen.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(scpNoDelay);
        if (OperatingSystem.IsLinux())
            Assert.True(scpQuickAck);
        Assert.NotNull(accepted);
    }

    [Fact]
    public void The_quickack_setter_is_a_no_op_where_the_platform_lacks_it()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        if (OperatingSystem.IsLinux())
            socket.SetRawSocketOption(6, 12, BitConverter.GetBytes(0)); // clear TCP_QUICKACK (a fresh socket has it on)
        Assert.False(TcpTuning.TrySetQuickAck(socket, platformSupportsQuickAck: false));
        // Nothing was set: the option is still off.
        if (OperatingSystem.IsLinux())
            Assert.False(TcpTuning.ReadQuickAck(socket));
        TcpTuning.Apply(socket, quickAck: false);
        Assert.True(socket.NoDelay);
    }
}
