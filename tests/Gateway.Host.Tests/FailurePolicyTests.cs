using Gateway.Acquisition.Sessions;
using Gateway.Configuration;
using Gateway.Hardware.Serial;
using Gateway.Host.Service;
using Gateway.Testing;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>NOTIFY_SOCKET and WATCHDOG_USEC are the process's: these tests run alone.</summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;

/// <summary>
/// Issue #15's failure policy through the real composition (<see cref="GatewayService"/>'s parts on
/// <see cref="GatewayHost"/>, the real <see cref="Supervisor"/>, <see cref="DeviceRuntime"/> and serial link): a device
/// whose port driver throws what no port should is logged with its cause (3023), the watchdog is not fed while the
/// device waits for its restart, and after the restart the device is connected and the pings come again. The fault is
/// injected at the device's lowest seam, the port opener (the same one the demo's in-memory cable uses).
/// </summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class FailurePolicyTests
{
    /// <summary>The first port it opens breaks on the first read with an exception of no port's kind; later ones idle.</summary>
    private sealed class BreaksOnceOpener : ISerialPortOpener
    {
        private int _opens;

        public string Name => "/dev/ttyFAKE0";

        public int Opens => Volatile.Read(ref _opens);

        public Stream Open(TimeSpan readTimeout) => Interlocked.Increment(ref _opens) == 1 ? new BrokenPort() : new IdlePort(readTimeout);
    }

    private sealed class BrokenPort : PortStream
    {
        public override int Read(byte[] buffer, int offset, int count) =>
            throw new NotSupportedException("injected: the port driver failed in a way no port should");
    }

    /// <summary>A connected device that sends nothing: each read times out, as a real idle port's does.</summary>
    private sealed class IdlePort(TimeSpan readTimeout) : PortStream
    {
        private readonly ManualResetEventSlim _closed = new();

        public override int Read(byte[] buffer, int offset, int count)
        {
            ObjectDisposedException.ThrowIf(_closed.Wait(readTimeout), this);
            throw new TimeoutException();
        }

        protected override void Dispose(bool disposing)
        {
            _closed.Set();
            base.Dispose(disposing);
        }
    }

    private abstract class PortStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) { }
    }

    private sealed class ListLoggerProvider(ListLogger log) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => log;
        public void Dispose() { }
    }

    [Fact]
    public async Task A_device_that_throws_is_logged_with_its_cause_the_watchdog_waits_and_the_restarted_device_runs()
    {
        using var dir = new TempDirectory("policy-device");
        using var notify = new NotifySocket(Path.Combine(dir.Path, "notify.sock"));
        var profile = Path.Combine(Repository.Root, "hardware", "profiles", "fpd-1417-usb.json");
        var config = ConfigValidator.Parse($$"""
            { "box": { "id": "policy" }, "web": { "enabled": false },
              "spool": { "path": "{{Path.Combine(dir.Path, "spool")}}", "minFreeBytes": 0 },
              "device": { "profile": "{{profile}}", "serialPort": "/dev/ttyFAKE0", "gpio": false } }
            """, "test");
        var log = new ListLogger();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(new ListLoggerProvider(log)));
        var opener = new BreaksOnceOpener();
        using var stop = new CancellationTokenSource();
        Environment.SetEnvironmentVariable("NOTIFY_SOCKET", notify.Path);
        Environment.SetEnvironmentVariable("WATCHDOG_USEC", "400000");
        Task<int> running;
        try
        {
            using var service = new GatewayService(dir.File("gateway.json"), config, loggers, TextWriter.Null, new DeviceSeams { Serial = opener });
            running = GatewayHost.RunAsync(service, loggers, stop.Token, ownSignals: false);
            await notify.Until(() => notify.Outage("device").PingsAfter > 0 && log.Lines.Count(l => l.StartsWith("[4001]", StringComparison.Ordinal)) == 2,
                "the device's outage, its restart and the pings after it");
            var outage = notify.Outage("device");
            Assert.True(outage.Statuses > 0);
            Assert.Equal(0, outage.PingsDuring);
            var failed = Assert.Single(log.Lines, l => l.StartsWith("[3023]", StringComparison.Ordinal));
            Assert.Contains("device failed (NotSupportedException: injected: the port driver failed in a way no port should); restarting it in 1 s", failed, StringComparison.Ordinal);
            // Restarted: the port opened again, the link is up and the device is what the service reports.
            Assert.Equal(2, opener.Opens);
            Assert.Equal(LinkState.Connected, service.Device?.Link);
            Assert.Equal(2, log.Lines.Count(l => l.StartsWith("[4001]", StringComparison.Ordinal)));
            await stop.CancelAsync();
            Assert.Equal(0, await running);
        }
        finally
        {
            Environment.SetEnvironmentVariable("NOTIFY_SOCKET", null);
            Environment.SetEnvironmentVariable("WATCHDOG_USEC", null);
        }
    }
}
