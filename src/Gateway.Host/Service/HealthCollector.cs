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
        var entries = spool.Entries;
        var perDestination = destinations().Select(name =>
        {
            var pending = entries.Where(e => e.Deliveries.TryGetValue(name, out var d) && d.State == DeliveryState.Pending).ToList();
            var dead = entries.Count(e => e.Deliveries.TryGetValue(name, out var d) && d.State == DeliveryState.Dead);
            var oldest = pending.Count == 0 ? (long?)null : (long)(now - pending.Min(e => e.Created)).TotalSeconds;
            var awaiting = entries.Where(e => e.Deliveries.TryGetValue(name, out var d) && d.State == DeliveryState.AwaitingCommitment).ToList();
            var oldestAwaiting = awaiting.Count == 0 ? (long?)null : (long)(now - awaiting.Min(e => e.Created)).TotalSeconds;
            var (lastSuccess, failures) = stats.Of(name);
            return new DestinationHealth(name, pending.Count, oldest, dead, lastSuccess, failures, awaiting.Count, oldestAwaiting);
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
            Spool = new SpoolHealth { Entries = entries.Count, Bytes = spool.UsedBytes },
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
