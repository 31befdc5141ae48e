namespace Gateway.Dicom.Video;

/// <summary>
/// Cuts an H.264 byte stream (ITU-T H.264 Annex B: start codes 00 00 01 before each NAL unit) into access units — one
/// coded picture with the parameter sets, SEI and delimiters in front of it — as it arrives, so that a clip is only
/// ever written in whole pictures and a stream cut off mid-picture (the grabber pulled, ffmpeg killed) loses only that
/// picture. An access unit begins (H.264 §7.4.1.2.3) at an access unit delimiter, SPS, PPS or SEI, or at a slice
/// whose first_mb_in_slice is 0, that follows the slices of the previous picture. Frame-coded pictures only (what
/// libx264 and the V4L2 encoders make for progressive input); memory is one access unit at most
/// <see cref="MaxAccessUnit"/> bytes.
/// </summary>
public sealed class H264AccessUnitSplitter
{
    /// <summary>The largest access unit accepted: Level 4.1's largest coded picture is far smaller (MaxCPB 62.5 Mbit).</summary>
    public const int MaxAccessUnit = 32 << 20;

    private byte[] _buffer = new byte[1 << 20];
    private int _length;
    private int _scanned;          // the first byte not yet looked at as the start of a start code
    private bool _seenSlice;       // the pending access unit already holds a slice of its picture
    private bool _started;         // a start code was found at offset 0

    /// <summary>Whole access units so far.</summary>
    public long AccessUnits { get; private set; }

    /// <summary>profile_idc and level_idc of the first sequence parameter set (0 until one is seen).</summary>
    public int ProfileIdc { get; private set; }
    public int LevelIdc { get; private set; }

    /// <summary>Adds bytes; calls <paramref name="unit"/> for every access unit they complete.</summary>
    public void Push(ReadOnlySpan<byte> data, Action<ReadOnlyMemory<byte>> unit)
    {
        while (data.Length > 0)
        {
            Ensure(data.Length);
            var n = data.Length;
            data.CopyTo(_buffer.AsSpan(_length));
            _length += n;
            data = default;
            Scan(unit);
        }
    }

    /// <summary>The end of a stream that ended normally: the pending bytes are the last access unit.</summary>
    public void Finish(Action<ReadOnlyMemory<byte>> unit)
    {
        if (_seenSlice && _length > 0)
        {
            unit(_buffer.AsMemory(0, _length));
            AccessUnits++;
        }
        _length = _scanned = 0;
        _seenSlice = false;
    }

    /// <summary>The bytes of an unfinished access unit still held (dropped when the stream broke off).</summary>
    public int Pending => _length;

    private void Ensure(int more)
    {
        if ((long)_length + more > MaxAccessUnit)
            throw new DicomValueException($"the H.264 stream has an access unit larger than {MaxAccessUnit >> 20} MiB: not a stream the gateway can take");
        if (_length + more <= _buffer.Length)
            return;
        var grown = new byte[Math.Min(MaxAccessUnit, Math.Max(_buffer.Length * 2, _length + more))];
        _buffer.AsSpan(0, _length).CopyTo(grown);
        _buffer = grown;
    }

    private void Scan(Action<ReadOnlyMemory<byte>> unit)
    {
        // A start code is 00 00 01; its NAL header byte and the first byte of the slice header follow (5 bytes in all).
        var i = _scanned;
        while (i + 5 <= _length)
        {
            var span = _buffer.AsSpan(i, _length - i);
            var at = span.IndexOf((byte)0);
            if (at < 0 || i + at + 5 > _length)
            {
                i = at < 0 ? _length : i + at;
                break;
            }
            i += at;
            if (_buffer[i + 1] != 0 || _buffer[i + 2] != 1)
            {
                i++;
                continue;
            }
            // A four-byte start code (00 00 00 01) belongs to the NAL it introduces.
            var begin = i > 0 && _buffer[i - 1] == 0 ? i - 1 : i;
            var header = _buffer[i + 3];
            var type = header & 0x1F;
            var vcl = type is 1 or 5;
            var firstMbZero = (_buffer[i + 4] & 0x80) != 0;
            if (type == 7 && ProfileIdc == 0 && i + 6 < _length)
            {
                ProfileIdc = _buffer[i + 4];
                LevelIdc = _buffer[i + 6];
            }
            var startsUnit = _seenSlice && (vcl ? firstMbZero : type is 6 or 7 or 8 or 9 or (>= 14 and <= 18));
            if (startsUnit && begin > 0)
            {
                unit(_buffer.AsMemory(0, begin));
                AccessUnits++;
                _buffer.AsSpan(begin, _length - begin).CopyTo(_buffer);
                _length -= begin;
                i -= begin;
                _seenSlice = false;
            }
            if (vcl)
                _seenSlice = true;
            _started = true;
            i += 3;
        }
        _scanned = Math.Min(i, _length);
        if (!_started && _length > 4096)
            throw new DicomValueException("the encoder's output is not an H.264 byte stream (no start code in its first 4 KiB)");
    }
}
