using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Gateway.Acquisition.Sessions;
using Gateway.Dicom.Network;
using Gateway.Hardware.Profiles;
using Gateway.Hardware.Serial;
using Gateway.Hardware.Simulation;
using Gateway.Configuration;
using Gateway.Host.Service;
using Gateway.Telemetry;
using Microsoft.Extensions.Logging;

namespace Gateway.Host.Commands;

/// <summary>
/// `gateway demo [--dir DIR] [--seconds N] [--cable auto|socat|memory]`: the whole pipeline on loopback with embedded defaults and no setup — a
/// simulated flat-panel detector on a socat pty pair (an in-process cable when socat is missing), acquisition into a
/// spool, forwarding to a built-in storage SCP standing in for the PACS, an embedded MQTT broker receiving the box's
/// health and events. It prints where to look and a line per frame and per stored object.
/// </summary>
internal static class DemoCommand
{
    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        var dir = args.Option("dir") ?? Path.Combine(Path.GetTempPath(), $"gateway-demo-{Guid.NewGuid().ToString("N")[..8]}");
        var seconds = args.Option("seconds") is { } s
            ? int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new UsageException($"--seconds '{s}' is not a positive number")
            : 0;
        var cable = args.Option("cable") ?? "auto";
        if (cable is not ("auto" or "socat" or "memory"))
            throw new UsageException($"--cable '{cable}' is not auto, socat or memory");
        args.RejectUnknown();
        args.ExpectPositional(0, "no positional arguments");
        return RunAsync(Path.GetFullPath(dir), seconds, cable, stdout, stderr).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string dir, int seconds, string cable, TextWriter stdout, TextWriter stderr)
    {
        Directory.CreateDirectory(dir);
        var pacsDir = Directory.CreateDirectory(Path.Combine(dir, "pacs")).FullName;
        using var loggers = RunCommand.CreateLoggers(console: LogLevel.Warning);
        var console = TextWriter.Synchronized(stdout);

        // The PACS: our own storage SCP, keeping every object it is sent.
        var stored = 0;
        await using var pacs = DicomServer.Start(new DicomServerOptions
        {
            AeTitle = "DEMO-PACS",
            Port = 0,
            Address = IPAddress.Loopback,
            OutputDirectory = pacsDir,
            OnStored = (received, _) =>
            {
                var count = Interlocked.Increment(ref stored);
                console.WriteLine($"PACS  stored {DicomUidShort(received.SopInstanceUid)} ({count} so far)");
                console.Flush();
                return ValueTask.FromResult(DicomStatus.Success);
            },
        }, loggers.CreateLogger("demo.pacs"));
        await using var broker = await EmbeddedBroker.StartAsync(FreeLoopbackPort()).ConfigureAwait(false);

        // The device: the shipped flat-panel profile, one frame every 2 s, with line noise and every 5th frame corrupted once.
        var profilePath = Path.Combine(Directory.CreateDirectory(Path.Combine(dir, "profiles")).FullName, "fpd-1417-usb.json");
        using (var resource = typeof(DemoCommand).Assembly.GetManifestResourceStream("profiles/fpd-1417-usb.json")!)
        using (var file = File.Create(profilePath))
            resource.CopyTo(file);
        var profile = ProfileLoader.Load(profilePath);
        profile = profile with { Simulator = profile.Simulator with { IntervalMs = 2000 } };
        using var socat = cable == "memory" ? null : Socat.TryStart(dir);
        if (socat is null && cable == "socat")
        {
            stderr.WriteLine("gateway demo: --cable socat, but socat is not installed (apt-get install socat)");
            return Cli.BadInput;
        }
        var memory = socat is null ? new InMemorySerialPair() : null;
        var gatewayEnd = socat?.GatewayEnd ?? "memory:gateway";

        var configPath = Path.Combine(dir, "gateway.json");
        var config = new GatewayConfig
        {
            Box = new BoxConfig { Id = "demo" },
            Spool = new SpoolConfig { Path = Path.Combine(dir, "spool"), MinFreeBytes = 0 },
            LocalScp = new LocalScpConfig { AeTitle = "GATEWAY", Port = FreeLoopbackPort(), Bind = "127.0.0.1" },
            Destinations = [new DestinationConfig { Name = "demo-pacs", AeTitle = "DEMO-PACS", Host = "127.0.0.1", Port = pacs.Port, RetryMinSeconds = 1, RetryMaxSeconds = 10 }],
            Device = new DeviceConfig { Profile = profilePath, SerialPort = socat is null ? null : gatewayEnd, Gpio = false },
            Exam = JsonDocument.Parse("""{ "PatientID": "DEMO-0001", "PatientName": "Demo^Patient", "AccessionNumber": "DEMO-ACC-1" }""").RootElement.Clone(),
            Mqtt = new MqttConfig { Host = "127.0.0.1", Port = broker.Port, HealthIntervalSeconds = 5 },
            Web = new WebConfig
            {
                Port = FreeLoopbackPort(),
                HttpRedirectPort = 0,
                Bind = "127.0.0.1",
                BindBeforeSetup = "127.0.0.1",
                StateDirectory = Path.Combine(dir, "web"),
                ProfilesDirectory = Path.GetDirectoryName(profilePath)!,
            },
        };
        ConfigWriter.Save(configPath, config);

        console.WriteLine($"""
            gateway demo — everything on loopback, in {dir}
              device   simulated flat-panel detector (hardware/profiles/fpd-1417-usb.json), {(socat is null ? "in-process serial cable (socat not installed)" : $"serial link {socat.DeviceEnd} <-> {gatewayEnd} (socat pty pair)")}
                       a 512x512 16-bit frame every 2 s, line noise between frames, every 5th frame corrupted once (NAK, resend)
              spool    {config.Spool.Path}
              PACS     DEMO-PACS at 127.0.0.1:{pacs.Port} (built-in storage SCP), objects in {pacsDir}
              MQTT     embedded broker 127.0.0.1:{broker.Port}: topics gateway/demo/status, gateway/demo/health, gateway/demo/events
                       (e.g. mosquitto_sub -h 127.0.0.1 -p {broker.Port} -i watcher -t 'gateway/demo/#' -v)
              gateway  storage SCP GATEWAY at 127.0.0.1:{config.LocalScp.Port}; configuration {configPath} (edit it: destinations, device, MQTT and exam apply live)
              web page https://127.0.0.1:{config.Web.Port}/ (self-signed certificate; first visit asks for the setup code in {Path.Combine(config.Web.StateDirectory, "setup-code")})
            {(seconds > 0 ? $"running for {seconds} s" : "Ctrl-C to stop")}
            """);
        console.Flush();

        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        if (seconds > 0)
            stop.CancelAfter(TimeSpan.FromSeconds(seconds));

        using var service = new GatewayService(configPath, config, loggers, console, memory is null ? null : new DeviceSeams { Serial = memory.GatewayEnd });
        var running = GatewayHost.RunAsync(service, loggers, stop.Token, ownSignals: false);
        var deviceSide = memory?.DeviceEnd ?? new SystemSerialPortOpener(profile.Serial! with { Device = socat!.DeviceEnd });
        var simulator = new DeviceSimulator(profile, deviceSide, new SimulatorOptions { Frames = 0, Noise = true, CorruptEvery = 5 }, new PrefixWriter("device ", console));
        var playing = simulator.RunAsync(stop.Token);
        int result;
        try
        {
            result = await running.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ProfileException)
        {
            stderr.WriteLine($"gateway demo: {e.Message}");
            await stop.CancelAsync().ConfigureAwait(false);
            result = Cli.Failed;
        }
        await playing.ConfigureAwait(false);
        console.WriteLine($"demo stopped: {service.Acquired} frame(s) acquired, {stored} object(s) stored by the PACS in {pacsDir}");
        return result == Cli.Ok && stored > 0 ? Cli.Ok : Cli.Failed;
    }

    private static string DicomUidShort(string uid) => uid.Length > 24 ? "…" + uid[^20..] : uid;

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Writes each line with a prefix (the simulator's lines among the gateway's).</summary>
    private sealed class PrefixWriter(string prefix, TextWriter inner) : TextWriter
    {
        public override System.Text.Encoding Encoding => inner.Encoding;
        public override void WriteLine(string? value) => inner.WriteLine(prefix + value);
        public override void Write(char value) => inner.Write(value);
        public override void Flush() => inner.Flush();
    }

    /// <summary>socat making the pty pair, when installed.</summary>
    private sealed class Socat : IDisposable
    {
        private static readonly string[] SocatPaths = ["/usr/bin/socat", "/bin/socat", "/usr/local/bin/socat"];
        private readonly System.Diagnostics.Process _process;

        private Socat(System.Diagnostics.Process process, string dir)
        {
            _process = process;
            GatewayEnd = Path.Combine(dir, "gateway-tty");
            DeviceEnd = Path.Combine(dir, "device-tty");
        }

        public string GatewayEnd { get; }
        public string DeviceEnd { get; }

        public static Socat? TryStart(string dir)
        {
            var exe = SocatPaths.FirstOrDefault(File.Exists);
            if (exe is null)
                return null;
            var psi = new System.Diagnostics.ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true };
            psi.ArgumentList.Add($"pty,raw,echo=0,link={Path.Combine(dir, "gateway-tty")}");
            psi.ArgumentList.Add($"pty,raw,echo=0,link={Path.Combine(dir, "device-tty")}");
            var process = System.Diagnostics.Process.Start(psi);
            if (process is null)
                return null;
            var socat = new Socat(process, dir);
            for (var i = 0; i < 100 && !(File.Exists(socat.GatewayEnd) && File.Exists(socat.DeviceEnd)); i++)
                Thread.Sleep(20);
            return socat;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
                _process.Kill();
            _process.WaitForExit(5000);
            _process.Dispose();
        }
    }
}
