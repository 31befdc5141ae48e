using System.Diagnostics;
using System.Globalization;
using Gateway.Acquisition.Sessions;
using Gateway.Dicom.Imaging;
using Gateway.Hardware.Framing;
using Gateway.Hardware.Profiles;
using Gateway.Hardware.Serial;
using Gateway.Hardware.Simulation;
using Gateway.Spool;
using Gateway.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Benchmarks;

/// <summary>Issue #6: frame decoder throughput on a recorded stream, and latency from a frame's last byte to its durable spool entry.</summary>
public static class AcquisitionBenchmarks
{
    private static DeviceProfile Profile(string name) => ProfileLoader.Load(Path.Combine(Repository.Root, "hardware", "profiles", name + ".json"));

    public static IReadOnlyList<string> Run(bool quick)
    {
        var rows = new List<string>();
        var detector = Profile("fpd-1417-usb");
        var image = new ImageFormat(3000, 3000, 1, 16, 14);
        foreach (var (name, checksum) in new[] { ("crc32", "crc32"), ("crc16-ccitt", "crc16-ccitt"), ("sum8", "sum8"), ("none", "none") })
        {
            var format = new FrameFormat(detector.Frames! with { Checksum = detector.Frames.Checksum with { Type = checksum } });
            // A recorded stream: 8 frames of 18 MB with line noise between them, read back in 64 KiB chunks as from a port.
            var noise = new byte[37];
            new Random(1).NextBytes(noise);
            var stream = Enumerable.Range(1, quick ? 3 : 8).SelectMany(n => noise.Concat(FrameEncoder.Encode(format, image, DeviceSimulator.Pixels(image, n), n))).ToArray();
            var best = double.MaxValue;
            for (var round = 0; round < 5; round++)
            {
                var decoder = new FrameDecoder(format);
                var events = new List<FrameEvent>();
                var sw = Stopwatch.StartNew();
                for (var offset = 0; offset < stream.Length; offset += 65536)
                    decoder.Feed(stream.AsSpan(offset, Math.Min(65536, stream.Length - offset)), events);
                sw.Stop();
                if (events.Count != (quick ? 3 : 8) || events.Any(e => e is not FrameReceived))
                    throw new InvalidOperationException("the recorded stream did not decode");
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            var mbps = stream.Length / best / 1e6;
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| frame decoder, {name}, {stream.Length / 1e6:F0} MB stream of 18 MB frames in 64 KiB reads | {mbps:F0} MB/s | {mbps / 1.2:F0}× a 12 Mbaud line (1.2 MB/s) |"));
        }

        // Latency: the last chunk of an 18 MB frame arrives → decode, CRC, DX object built and fsync'd, spool commit → ACK.
        var root = Path.Combine(BenchmarkFiles.Folder, "acquisition-bench");
        if (Directory.Exists(root))
            Directory.Delete(root, true);
        var spool = new DurableSpool(new SpoolOptions { Directory = root, MinFreeBytes = 0 });
        spool.Recover();
        using var session = new AcquisitionSession(detector with { Gpio = null }, spool, _ => ["pacs"], new ExamContext(), NullLogger.Instance);
        var link = new SerialLink(new NoPort(), detector.Serial!, NullLogger.Instance);
        var receiver = new FrameReceiver(new FrameFormat(detector.Frames!), link, session, NullLogger.Instance);
        var latencies = new List<double>();
        for (var n = 1; n <= (quick ? 3 : 9); n++)
        {
            var frame = FrameEncoder.Encode(new FrameFormat(detector.Frames!), image, DeviceSimulator.Pixels(image, n), n,
                detector.Simulator.HeaderValues);
            receiver.OnData(frame.AsSpan(0, frame.Length - 4096));
            var sw = Stopwatch.StartNew();
            receiver.OnData(frame.AsSpan(frame.Length - 4096));
            sw.Stop();
            if (session.Acquired != n)
                throw new InvalidOperationException("the frame was not stored");
            latencies.Add(sw.Elapsed.TotalMilliseconds);
        }
        latencies.Sort();
        rows.Add(string.Create(CultureInfo.InvariantCulture,
            $"| last byte of an 18 MB frame → durable DX object in the spool (ACK), {latencies.Count} frames | median {latencies[latencies.Count / 2]:F0} ms | min {latencies[0]:F0} ms, max {latencies[^1]:F0} ms |"));
        Directory.Delete(root, true);
        return rows;
    }

    private sealed class NoPort : ISerialPortOpener
    {
        public string Name => "(benchmark)";
        public Stream Open(TimeSpan readTimeout) => throw new IOException("no port in the benchmark");
    }
}
