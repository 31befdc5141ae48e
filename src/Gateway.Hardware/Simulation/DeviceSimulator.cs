using System.Diagnostics;
using System.Globalization;
using Gateway.Dicom.Imaging;
using Gateway.Hardware.Framing;
using Gateway.Hardware.Profiles;
using Gateway.Hardware.Serial;

namespace Gateway.Hardware.Simulation;

/// <summary>How `gateway simulate` misbehaves on purpose.</summary>
public sealed record SimulatorOptions
{
    /// <summary>Frames (or text reports) to send; 0: until stopped.</summary>
    public int Frames { get; init; } = 10;
    /// <summary>Pause between frames or reports; null: the profile's simulator.intervalMs.</summary>
    public int? IntervalMs { get; init; }
    /// <summary>Random bytes (line noise) before every frame.</summary>
    public bool Noise { get; init; }
    /// <summary>Every K-th frame is sent with one payload byte flipped the first time (0: never).</summary>
    public int CorruptEvery { get; init; }
    public int Seed { get; init; } = 1;
}

/// <summary>
/// Plays the device's side of a profile over a serial path (one end of a socat pty pair): frames with the profile's
/// sync word, header and checksum, resent on NAK or when no answer comes within ackTimeoutMs, waiting for the
/// request command when the profile has one; or the profile's text report, line by line. When the link goes away it
/// waits for it to come back and resends the frame that was in flight — what a real device does after a replug.
/// </summary>
public sealed class DeviceSimulator(DeviceProfile profile, ISerialPortOpener opener, SimulatorOptions options, TextWriter log)
{
    private readonly Random _random = new(options.Seed);
    private Stream? _stream;

    public int Acknowledged { get; private set; }
    public int Resent { get; private set; }

    public Task RunAsync(CancellationToken ct) =>
        Task.Factory.StartNew(() => Run(ct), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken ct)
    {
        try
        {
            if (profile.Frames is { } frames)
                SendFrames(new FrameFormat(frames), ct);
            else if (profile.Text is not null)
                SendReports(ct);
        }
        finally
        {
            _stream?.Dispose();
        }
    }

    private void SendFrames(FrameFormat format, CancellationToken ct)
    {
        var image = ImageOf(format);
        for (var n = 1; options.Frames == 0 || n <= options.Frames; n++)
        {
            var frame = FrameEncoder.Encode(format, image, Pixels(image, n), n, profile.Simulator.HeaderValues);
            if (format.Request.Length > 0)
                WaitFor(format.Request, ct);
            for (var attempt = 0; ; attempt++)
            {
                if (ct.IsCancellationRequested)
                    return;
                var bytes = frame;
                if (attempt == 0 && options.CorruptEvery > 0 && n % options.CorruptEvery == 0)
                {
                    bytes = (byte[])frame.Clone();
                    // One payload byte flipped, as line noise would: the checksum must catch it.
                    bytes[format.Sync.Length + format.HeaderLength + (int)(image.FrameLength / 2)] ^= 0x5A;
                }
                var answer = Send(bytes, format, ct, out var waited);
                if (answer == true)
                {
                    // After a resend both copies may be answered: the second answer must not pass for the next frame's.
                    // (A device that waits for requests is not drained: the next request would be lost.)
                    if (attempt > 0 && format.Request.Length == 0)
                        Drain(format.Settings.AckTimeoutMs, ct);
                    Acknowledged++;
                    log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"frame {n}: acknowledged{(attempt > 0 ? $" after {attempt} resend(s)" : "")} ({waited.TotalMilliseconds:F0} ms after its last byte)"));
                    break;
                }
                Resent++;
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"frame {n}: {(answer == false ? "NAK" : "no answer")}; resending"));
            }
            log.Flush();
            Pause(ct);
        }
    }

    private void SendReports(CancellationToken ct)
    {
        var text = string.Join("\r\n", profile.Simulator.Report) + "\r\n";
        var bytes = (profile.Text!.Encoding == "utf-8" ? System.Text.Encoding.UTF8 : System.Text.Encoding.Latin1).GetBytes(text);
        for (var n = 1; options.Frames == 0 || n <= options.Frames; n++)
        {
            while (!ct.IsCancellationRequested && !TryWrite(bytes))
                Reconnect(ct);
            Acknowledged++;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"report {n}: sent ({profile.Simulator.Report.Count} lines)"));
            log.Flush();
            Pause(ct);
        }
    }

    private void Pause(CancellationToken ct)
    {
        var interval = options.IntervalMs ?? profile.Simulator.IntervalMs;
        if (interval > 0)
            ct.WaitHandle.WaitOne(interval);
    }

    /// <summary>Sends one frame; true on ACK, false on NAK, null when no answer came (or the link broke).</summary>
    /// <param name="waited">From the frame's last byte written to its answer (or to giving up).</param>
    private bool? Send(byte[] frame, FrameFormat format, CancellationToken ct, out TimeSpan waited)
    {
        waited = TimeSpan.Zero;
        if (options.Noise)
        {
            var noise = new byte[_random.Next(1, 65)];
            _random.NextBytes(noise);
            if (!TryWrite(noise))
            {
                Reconnect(ct);
                return null;
            }
        }
        if (!TryWrite(frame))
        {
            Reconnect(ct);
            return null;
        }
        var sent = Stopwatch.GetTimestamp();
        var answer = WaitForAnswer(format, ct);
        waited = Stopwatch.GetElapsedTime(sent);
        return answer;
    }

    private bool? WaitForAnswer(FrameFormat format, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(format.Settings.AckTimeoutMs);
        var seen = new List<byte>();
        var buffer = new byte[256];
        while (DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
        {
            var n = TryRead(buffer);
            if (n < 0)
            {
                Reconnect(ct);
                return null;
            }
            seen.AddRange(buffer.AsSpan(0, n));
            if (EndsWith(seen, format.Ack))
                return true;
            if (EndsWith(seen, format.Nak))
                return false;
        }
        return null;
    }

    /// <summary>Reads and drops what the gateway still sends for a while (late answers to earlier attempts).</summary>
    private void Drain(int milliseconds, CancellationToken ct)
    {
        var until = DateTime.UtcNow.AddMilliseconds(Math.Min(milliseconds, 1000));
        var buffer = new byte[256];
        while (DateTime.UtcNow < until && !ct.IsCancellationRequested && TryRead(buffer) >= 0)
        {
        }
    }

    private void WaitFor(byte[] request, CancellationToken ct)
    {
        var seen = new List<byte>();
        var buffer = new byte[256];
        while (!ct.IsCancellationRequested)
        {
            var n = TryRead(buffer);
            if (n < 0)
            {
                Reconnect(ct);
                continue;
            }
            seen.AddRange(buffer.AsSpan(0, n));
            if (EndsWith(seen, request))
                return;
        }
    }

    private static bool EndsWith(List<byte> seen, byte[] tail) =>
        tail.Length > 0 && seen.Count >= tail.Length && seen.GetRange(seen.Count - tail.Length, tail.Length).SequenceEqual(tail);

    private bool TryWrite(byte[] bytes)
    {
        if (_stream is null && !TryOpen())
            return false;
        try
        {
            var chunk = Math.Max(64, (profile.Serial?.Baud ?? 115200) / 20);
            for (var offset = 0; offset < bytes.Length; offset += chunk)
                _stream!.Write(bytes, offset, Math.Min(chunk, bytes.Length - offset));
            _stream!.Flush();
            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or TimeoutException or InvalidOperationException)
        {
            Drop(e.Message);
            return false;
        }
    }

    /// <summary>Bytes read (0 on a read tick without data), or −1 when the link broke.</summary>
    private int TryRead(byte[] buffer)
    {
        if (_stream is null && !TryOpen())
            return -1;
        try
        {
            var n = _stream!.Read(buffer);
            if (n == 0)
            {
                Drop("the other side closed the link");
                return -1;
            }
            return n;
        }
        catch (TimeoutException)
        {
            return 0;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            Drop(e.Message);
            return -1;
        }
    }

    private bool TryOpen()
    {
        try
        {
            _stream = opener.Open(SerialLink.ReadTick);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private void Drop(string reason)
    {
        log.WriteLine($"link lost: {reason}");
        _stream?.Dispose();
        _stream = null;
    }

    private void Reconnect(CancellationToken ct)
    {
        while (_stream is null && !ct.IsCancellationRequested)
        {
            if (TryOpen())
            {
                log.WriteLine($"link back on {opener.Name}");
                return;
            }
            ct.WaitHandle.WaitOne(profile.Serial?.ReopenMs ?? 500);
        }
    }

    private ImageFormat ImageOf(FrameFormat format)
    {
        var fixedImage = format.Settings.Image;
        var bits = fixedImage.BitsStored ?? profile.Simulator.BitsStored;
        return new ImageFormat(fixedImage.Width ?? profile.Simulator.Width, fixedImage.Height ?? profile.Simulator.Height,
            fixedImage.Samples ?? profile.Simulator.Samples, bits > 8 ? 16 : 8, bits);
    }

    /// <summary>A test pattern: a diagonal ramp that moves with the frame number, within the stored bits.</summary>
    public static byte[] Pixels(ImageFormat image, int frameNumber)
    {
        var pixels = new byte[image.FrameLength];
        var max = (1 << image.BitsStored) - 1;
        var i = 0;
        for (var y = 0; y < image.Rows; y++)
        {
            for (var x = 0; x < image.Columns; x++)
            {
                for (var s = 0; s < image.SamplesPerPixel; s++)
                {
                    var v = (x + y + (frameNumber * 16) + (s * 64)) * (max + 1) / (image.Columns + image.Rows) % (max + 1);
                    if (image.BitsAllocated == 16)
                    {
                        pixels[i++] = (byte)v;
                        pixels[i++] = (byte)(v >> 8);
                    }
                    else
                        pixels[i++] = (byte)v;
                }
            }
        }
        return pixels;
    }
}
