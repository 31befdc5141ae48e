using System.Net;
using System.Runtime.InteropServices;
using Gateway.Dicom;
using Gateway.Dicom.Network;
using Microsoft.Extensions.Logging;

namespace Gateway.Host.Commands;

/// <summary>`gateway store-scp`: a storage SCP writing each received object atomically into DIR, until SIGINT/SIGTERM.</summary>
internal static class StoreScpCommand
{
    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        var port = NetworkArgs.Port(args.Required("port"), "--port");
        var aet = NetworkArgs.AeTitle(args.Required("aet"), "--aet");
        var output = args.Required("out");
        var bind = args.Option("bind") ?? "0.0.0.0";
        if (!IPAddress.TryParse(bind, out var address))
            throw new UsageException($"--bind '{bind}' is not an IP address");
        var allow = args.Option("allow") is { } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(a => NetworkArgs.AeTitle(a, "--allow")).ToHashSet(StringComparer.Ordinal)
            : null;
        var tls = NetworkArgs.Tls(args, server: true);
        args.RejectUnknown();
        args.ExpectPositional(0, "no positional arguments");

        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var lines = new object();
        var options = new DicomServerOptions
        {
            AeTitle = aet,
            Port = port,
            Address = address,
            OutputDirectory = output,
            AllowedCallingAEs = allow,
            Tls = tls,
            OnStored = (o, _) =>
            {
                lock (lines)
                {
                    stdout.WriteLine($"stored {o.Path} {o.SopInstanceUid} {DicomUid.NameOf(o.SopClassUid)} from {o.CallingAE}");
                    stdout.Flush();
                }
                return ValueTask.FromResult(DicomStatus.Success);
            },
        };
        DicomServer server;
        try
        {
            server = DicomServer.Start(options, loggers.CreateLogger("gateway.store-scp"));
        }
        catch (System.Net.Sockets.SocketException e)
        {
            stderr.WriteLine($"gateway store-scp: cannot listen on {address}:{port}: {e.Message}");
            return Cli.Failed;
        }
        stdout.WriteLine($"store-scp {aet} listening on {address}:{server.Port}, writing to {Path.GetFullPath(output)}");
        stdout.Flush();
        using var stop = new ManualResetEventSlim();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        stop.Wait();
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        stdout.WriteLine("store-scp stopped");
        return Cli.Ok;
    }
}
