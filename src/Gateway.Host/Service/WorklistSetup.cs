using Gateway.Acquisition.Worklist;
using Gateway.Configuration;
using Gateway.Dicom.Network;
using Microsoft.Extensions.Logging;

namespace Gateway.Host.Service;

/// <summary>The `worklist` section as the objects that do the work (shared by `gateway run` and `gateway worklist`).</summary>
internal static class WorklistSetup
{
    /// <summary>The last good list lives in the spool directory: the state the gateway user owns and backs up.</summary>
    public static WorklistCache Cache(GatewayConfig config) => new(Path.Combine(config.Spool.Path, WorklistCache.FileName));

    public static WorklistSource Source(GatewayConfig config, WorklistConfig w, ILogger log)
    {
        var timeout = TimeSpan.FromSeconds(w.TimeoutSeconds);
        var client = new DicomClientOptions
        {
            Host = w.Host,
            Port = w.Port,
            CalledAE = w.AeTitle,
            CallingAE = w.CallingAeTitle,
            Tls = w.Tls is { CaFile: { } ca } tls ? new DicomTlsOptions { CaFile = ca, CertificateFile = tls.CertificateFile, KeyFile = tls.KeyFile } : null,
            ConnectTimeout = timeout < TimeSpan.FromSeconds(10) ? timeout : TimeSpan.FromSeconds(10),
            AssociationTimeout = timeout,
            DimseTimeout = timeout,
        };
        var query = new WorklistQuery
        {
            ScheduledStationAeTitle = w.Query.ScheduledStationAeTitle,
            Modality = w.Query.Modality,
            DaysBefore = w.Query.DaysBefore,
            DaysAfter = w.Query.DaysAfter,
            StationName = w.Query.StationName,
        };
        return new WorklistSource(client, query, Cache(config), TimeSpan.FromSeconds(w.RefreshSeconds), log);
    }
}
