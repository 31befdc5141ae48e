using Gateway.Acquisition.Sessions;
using Gateway.Dicom;
using Gateway.Hardware.Sensors;
using Gateway.Spool;
using Gateway.Telemetry;

namespace Gateway.Host.Service;

/// <summary>
/// The box's health as one value: what MQTT publishes and the status page shows. Spool depth, oldest item and dead
/// letters per destination, last successful send, failures, the device link, disk, memory, CPU temperature.
/// </summary>
internal sealed class HealthCollector(string boxId, DurableSpool spool, Func<IReadOnlyList<string>> destinations, DeliveryStats stats,
    Func<DeviceRuntime?> device, string spoolPath, TimeProvider time, Func<MppsHealth?>? mpps = null,
    Func<ModalityCommitmentHealth?>? modalityCommitment = null)
{
    private readonly DateTimeOffset _started = time.GetUtcNow();

    public HealthMessage Collect()
    {
        var now = time.GetUtcNow();
        // From the spool's index (issue #22): counting reads no state file, also with 100,000 entries.
        var perDestination = destinations().Select(name =>
        {
            var c = spool.CountsFor(name);
            var oldest = c.OldestPending is { } p ? (long)(now - p).TotalSeconds : (long?)null;
            var oldestAwaiting = c.OldestAwaiting is { } a ? (long)(now - a).TotalSeconds : (long?)null;
            var (lastSuccess, failures) = stats.Of(name);
            return new DestinationHealth(name, c.Pending, oldest, c.Dead, lastSuccess, failures, c.AwaitingCommitment, oldestAwaiting);
        }).ToList();
        var d = device();
        return new HealthMessage
        {
            BoxId = boxId,
            Time = now,
            Version = DicomImplementation.VersionName,
            UptimeSeconds = (long)(now - _started).TotalSeconds,
            Device = d is null ? null : new DeviceHealth(d.Profile.Name, d.Link?.ToString().ToLowerInvariant() ?? "none", d.Session.LastAcquired,
                d.Session.Acquired, d.Session.Failures, d.GpioError ?? d.LinkError),
            Spool = new SpoolHealth { Entries = spool.Count, Bytes = spool.UsedBytes },
            Destinations = perDestination,
            DiskFreeBytes = DiskFree(spoolPath),
            MemoryBytes = Environment.WorkingSet,
            CpuTemperatureC = CpuThermometer.ReadCelsius(),
            Mpps = mpps?.Invoke(),
            ModalityCommitment = modalityCommitment?.Invoke(),
        };
    }

    private static long? DiskFree(string path)
    {
        try
        {
            return new DriveInfo(Path.GetFullPath(path)).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
