using Microsoft.Extensions.Logging;

namespace Gateway.Dicom.Network;

/// <summary>Structured log events of the network layer, with stable ids (STYLE 11). No patient data: UIDs and AE titles only.</summary>
internal static partial class NetworkLog
{
    [LoggerMessage(1001, LogLevel.Information, "Association from {CallingAE} to {CalledAE} at {Peer} accepted ({Contexts} contexts)")]
    public static partial void AssociationAccepted(ILogger logger, string callingAE, string calledAE, string peer, int contexts);

    [LoggerMessage(1002, LogLevel.Warning, "Association from {CallingAE} to {CalledAE} at {Peer} rejected: {Reason}")]
    public static partial void AssociationRejected(ILogger logger, string callingAE, string calledAE, string peer, string reason);

    [LoggerMessage(1003, LogLevel.Warning, "Association with {Peer} aborted: {Reason}")]
    public static partial void AssociationAborted(ILogger logger, string peer, string reason);

    [LoggerMessage(1004, LogLevel.Information, "Stored {SopInstanceUid} ({SopClass}) from {CallingAE}: {Status}")]
    public static partial void Stored(ILogger logger, string sopInstanceUid, string sopClass, string callingAE, string status);

    [LoggerMessage(1005, LogLevel.Debug, "Connection from {Peer} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, string peer, string reason);

    [LoggerMessage(1006, LogLevel.Information, "Storage SCP {AeTitle} listening on {Endpoint}")]
    public static partial void Listening(ILogger logger, string aeTitle, string endpoint);

    [LoggerMessage(1007, LogLevel.Warning, "Could not store {SopInstanceUid} from {CallingAE}: {Reason}")]
    public static partial void StoreFailed(ILogger logger, string sopInstanceUid, string callingAE, string reason);

    [LoggerMessage(1008, LogLevel.Warning, "Association from {Peer}: a response nobody asked for ({Command}), ignored")]
    public static partial void UnexpectedResponse(ILogger logger, string peer, string command);

    [LoggerMessage(1009, LogLevel.Error, "Association with {Peer}: internal error, association aborted")]
    public static partial void InternalError(ILogger logger, string peer, Exception exception);
}
