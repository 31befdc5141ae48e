namespace Gateway.Dicom.Network;

/// <summary>Limits and timeouts shared by SCU and SCP associations. All configurable; cancellation works everywhere.</summary>
public record DicomAssociationOptions
{
    /// <summary>The largest P-DATA-TF PDU we accept, announced in our A-ASSOCIATE (PS3.8 §D.1).</summary>
    public uint MaxPduLength { get; init; } = 256 * 1024;
    /// <summary>Time to open the TCP connection (and the TLS handshake).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Time to wait for the A-ASSOCIATE-AC/RJ (SCU) or A-ASSOCIATE-RQ (SCP, the ARTIM timer of PS3.8 §9.1.5).</summary>
    public TimeSpan AssociationTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Time to wait for a DIMSE response once the request was sent.</summary>
    public TimeSpan DimseTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Time an established association may stay silent before it is aborted.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(120);
    /// <summary>ARTIM: how long to wait for the peer to close after release or reject (PS3.8 §9.1.5).</summary>
    public TimeSpan ArtimTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Re-arm TCP_QUICKACK after each receive on Linux (issue #9).</summary>
    public bool QuickAck { get; init; } = true;
    public DicomTlsOptions? Tls { get; init; }
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
