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

    /// <summary>"number:content" (number empty when the frame has none): how it is kept in a spool entry.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Number}:{Content}");

    public static FrameFingerprint? Parse(string? text)
    {
        if (text is null || text.IndexOf(':') is var colon && colon < 0)
            return null;
        var number = text[..colon];
        var content = text[(colon + 1)..];
        if (content.Length != 32 || !content.All(char.IsAsciiHexDigitLower))
            return null;
        if (number.Length == 0)
            return new FrameFingerprint(null, content);
        return long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? new FrameFingerprint(n, content) : null;
    }
}

/// <summary>
/// The last frame stored from a device, kept on disk so that it survives a restart (issue #13 item 1): a device that
/// lost our ACK resends the frame byte for byte, and must hear ACK again without a second object — also when the
/// process died between storing the object and sending the ACK. A new exposure that merely repeats the number (a
/// counter that restarts at 1 every study) differs in content and is stored.
/// <para>Two records, because neither alone covers every crash point: the frame's key (a sequence number of this
/// device's stored frames and the fingerprint) is committed with the object's spool entry, atomically with the store;
/// and it is written to this file right after (the file outlives the entry, which leaves the spool once delivered). At
/// start the key with the higher sequence number wins — a count of our own, not the clock, which a box without a
/// real-time clock may have wrong. Both are untrusted on reading: what does not parse is ignored (at worst one resent
/// frame is stored twice; nothing is lost).</para>
/// </summary>
public sealed class FrameMemory
{
    private const int MaxFileBytes = 4096;
    private readonly string? _path;
    private FrameFingerprint? _last;
    private long _sequence;

    /// <param name="path">The file (null: in memory only).</param>
    /// <param name="keyInSpool">The newest key committed with a spool entry of this device (read before any delivery).</param>
    public FrameMemory(string? path, string? keyInSpool = null)
    {
        _path = path;
        var stored = Load(path);
        var spooled = ParseKey(keyInSpool);
        var newer = spooled is { } s && (stored is null || s.Sequence > stored.Value.Sequence) ? spooled : stored;
        _last = newer?.Fingerprint;
        _sequence = newer?.Sequence ?? 0;
    }

    public FrameFingerprint? Last => _last;

    /// <summary>
    /// True when <paramref name="frame"/> is the last stored frame again: same number, same content. Frames without a
    /// number are never taken for repeats: an identical still captured twice is two captures, and without a number a
    /// resend cannot be told from it (such a device's resend after a lost ACK is stored twice; hardware/README.md says so).
    /// </summary>
    public bool IsRepeat(FrameFingerprint frame) => frame.Number is not null && _last is { } last && last == frame;

    /// <summary>The key the next stored frame is committed with: "sequence:number:content".</summary>
    public string NextKey(FrameFingerprint frame) => Key(_sequence + 1, frame);

    public static string Key(long sequence, FrameFingerprint frame) => string.Create(CultureInfo.InvariantCulture, $"{sequence}:{frame}");

    /// <summary>A key from a spool entry or the file, or null when it is not one of ours.</summary>
    public static (long Sequence, FrameFingerprint Fingerprint)? ParseKey(string? key)
    {
        if (key is null || key.Length > 128 || key.IndexOf(':') is var colon && colon <= 0)
            return null;
        if (!long.TryParse(key.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) || sequence <= 0)
            return null;
        return FrameFingerprint.Parse(key[(colon + 1)..]) is { } f ? (sequence, f) : null;
    }

    /// <summary>Remembers the frame just stored with <paramref name="key"/>; durable (temp, fsync, rename). Throws <see cref="IOException"/>.</summary>
    public void Remember(string key)
    {
        if (ParseKey(key) is not { } parsed)
            throw new ArgumentException($"'{key}' is not a frame key", nameof(key));
        _last = parsed.Fingerprint;
        _sequence = parsed.Sequence;
        if (_path is null)
            return;
        var tmp = _path + ".tmp";
        using (var s = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(s, new Stored(key));
            s.Flush(flushToDisk: true);
        }
        File.Move(tmp, _path, overwrite: true);
        Gateway.Shared.DirectoryFsync.Flush(Path.GetDirectoryName(Path.GetFullPath(_path))!);
    }

    private static (long Sequence, FrameFingerprint Fingerprint)? Load(string? path)
    {
        if (path is null || !File.Exists(path))
            return null;
        try
        {
            if (new FileInfo(path).Length > MaxFileBytes)
                return null;
            return ParseKey(JsonSerializer.Deserialize<Stored>(File.ReadAllText(path))?.Key);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }

    private sealed record Stored(string? Key);
}
