using System.Net.Sockets;

namespace Gateway.Dicom.Network;

/// <summary>
/// Socket options for DICOM connections (issue #9, ../shared/PERFORMANCE.md). Nagle is always off. On Linux,
/// TCP_QUICKACK is re-armed after every receive: a peer that keeps Nagle on (dcmtk at its defaults, many PACS) holds
/// its small C-STORE response until our delayed ACK arrives — about 40 ms per object. Acknowledging at once removes
/// that stall. Where the platform lacks TCP_QUICKACK the option is skipped, never an error.
/// </summary>
public static class TcpTuning
{
    /// <summary>IPPROTO_TCP.</summary>
    private const int IpProtocolTcp = 6;
    /// <summary>TCP_QUICKACK in linux/tcp.h.</summary>
    private const int TcpQuickAck = 12;

    /// <summary>Disables Nagle and, where supported and asked for, enables quick ACKs.</summary>
    public static void Apply(Socket socket, bool quickAck)
    {
        socket.NoDelay = true;
        if (quickAck)
            TrySetQuickAck(socket, OperatingSystem.IsLinux());
    }

    /// <summary>
    /// Sets TCP_QUICKACK; returns false (and does nothing) where the platform has no such option. The kernel clears the
    /// flag on its own, which is why it is set again after each receive (<see cref="QuickAckStream"/>).
    /// </summary>
    public static bool TrySetQuickAck(Socket socket, bool platformSupportsQuickAck)
    {
        if (!platformSupportsQuickAck)
            return false;
        try
        {
            socket.SetRawSocketOption(IpProtocolTcp, TcpQuickAck, BitConverter.GetBytes(1));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Reads TCP_QUICKACK back (Linux), for tests; null where it cannot be read.</summary>
    public static bool? ReadQuickAck(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
            return null;
        var value = new byte[4];
        socket.GetRawSocketOption(IpProtocolTcp, TcpQuickAck, value);
        return BitConverter.ToInt32(value) != 0;
    }
}
