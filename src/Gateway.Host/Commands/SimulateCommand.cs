using System.Globalization;
using System.Runtime.InteropServices;
using Gateway.Hardware.Profiles;
using Gateway.Hardware.Serial;
using Gateway.Hardware.Simulation;

namespace Gateway.Host.Commands;

/// <summary>
/// `gateway simulate --profile FILE --device PATH [--frames N] [--interval-ms N] [--noise] [--corrupt-every K]`: plays the device's
/// side of a profile over a serial path (one end of `socat pty,raw,echo=0,link=A pty,raw,echo=0,link=B`), for the
/// demo, the tests and a technician without the real device.
/// </summary>
internal static class SimulateCommand
{
    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        var profilePath = args.Required("profile");
        var device = args.Required("device");
        var frames = Number(args.Option("frames") ?? "10", "--frames");
        var corrupt = Number(args.Option("corrupt-every") ?? "0", "--corrupt-every");
        var noise = args.Flag("noise");
        var interval = args.Option("interval-ms") is { } ms ? Number(ms, "--interval-ms") : (int?)null;
        args.RejectUnknown();
        args.ExpectPositional(0, "no positional arguments");
        DeviceProfile profile;
        try
        {
            profile = ProfileLoader.Load(profilePath);
        }
        catch (ProfileException e)
        {
            stderr.WriteLine($"gateway simulate: {e.Message}");
            return Cli.BadInput;
        }
        if (profile.Serial is not { } serial)
        {
            stderr.WriteLine($"gateway simulate: {profilePath} has no serial port to play (a watch-folder device is simulated by copying files into its folder)");
            return Cli.BadInput;
        }
        var simulator = new DeviceSimulator(profile, new SystemSerialPortOpener(serial with { Device = device }),
            new SimulatorOptions { Frames = frames, Noise = noise, CorruptEvery = corrupt, IntervalMs = interval }, stdout);
        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        stdout.WriteLine($"simulating {profile.Name} on {device}: {(frames == 0 ? "until stopped" : $"{frames} {(profile.Frames is null ? "report(s)" : "frame(s)")}")}");
        stdout.Flush();
        try
        {
            simulator.RunAsync(stop.Token).Wait(CancellationToken.None);
        }
        catch (AggregateException e) when (e.InnerException is OperationCanceledException)
        {
        }
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done: {simulator.Acknowledged} acknowledged, {simulator.Resent} resent"));
        return frames == 0 || simulator.Acknowledged == frames ? Cli.Ok : Cli.Failed;
    }

    private static int Number(string text, string option) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new UsageException($"{option} '{text}' is not a number");
}
