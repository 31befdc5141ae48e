using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace Gateway.Hardware.Framing;

/// <summary>
/// What identifies a frame's content: its number (if the protocol has one) and a 128-bit hash of everything the
/// device sent that ends up in the object (layout, header values, pixels).
/// </summary>
public readonly record struct FrameFingerprint(long? Number, string Content)
{
    public static FrameFingerprint Of(DecodedFrame frame)
    {
        var hash = new XxHash128();
        Span<byte> word = stackalloc byte[8];
        foreach (var v in new long[] { frame.Format.Columns, frame.Format.Rows, frame.Format.SamplesPerPixel, frame.Format.BitsAllocated, frame.Format.BitsStored })
        {
            BinaryPrimitives.WriteInt64LittleEndian(word, v);
            hash.Append(word);
        }
        foreach (var value in frame.Values)
            hash.Append(Encoding.UTF8.GetBytes(value.Keyword + "=" + value.Value + "\n"));
        hash.Append(frame.Pixels);
        return new FrameFingerprint(frame.FrameNumber, Convert.ToHexStringLower(hash.GetCurrentHash()));
    }
}

/// <summary>
/// The last frame stored from a device, kept on disk so that it survives a restart (issue #13 item 1): a device that
/// lost our ACK resends the frame byte for byte, and must hear ACK again without a second object — also when the
/// process died between storing the object and sending the ACK. A new exposure that merely repeats the number (a
/// counter that restarts at 1 every study) differs in content and is stored. The file is untrusted on reading: one
/// that does not parse is ignored (at worst one resent frame is stored twice; nothing is lost).
/// </summary>
public sealed class FrameMemory(string? path)
{
    private FrameFingerprint? _last = Load(path);

    public FrameFingerprint? Last => _last;

    /// <summary>
    /// True when <paramref name="frame"/> is the last stored frame again: same number, same content. Frames without a
    /// number are never taken for repeats: an identical still captured twice is two captures, and without a number a
    /// resend cannot be told from it (such a device's resend after a lost ACK is stored twice; hardware/README.md says so).
    /// </summary>
    public bool IsRepeat(FrameFingerprint frame) => frame.Number is not null && _last is { } last && last == frame;

    /// <summary>Remembers the frame just stored; durable (temp, fsync, rename) when a path is given. Throws <see cref="IOException"/>.</summary>
    public void Remember(FrameFingerprint frame)
    {
        _last = frame;
        if (path is null)
            return;
        var tmp = path + ".tmp";
        using (var s = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(s, new Stored(frame.Number, frame.Content));
            s.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    private static FrameFingerprint? Load(string? path)
    {
        if (path is null || !File.Exists(path))
            return null;
        try
        {
            var stored = JsonSerializer.Deserialize<Stored>(File.ReadAllText(path));
            if (stored is { Content: { Length: 32 } c } && c.All(char.IsAsciiHexDigitLower))
                return new FrameFingerprint(stored.Number, c);
        }
        catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
        {
        }
        return null;
    }

    private sealed record Stored(long? Number, string Content);

    public override string ToString() => _last is { } l ? string.Create(CultureInfo.InvariantCulture, $"frame {l.Number} {l.Content}") : "none";
}
