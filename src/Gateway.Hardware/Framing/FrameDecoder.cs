using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using Gateway.Dicom.Imaging;

namespace Gateway.Hardware.Framing;

/// <summary>
/// Turns a byte stream into frames, as a pure function over buffers: feed it bytes in chunks of any size (one byte at a
/// time gives the same events as the whole stream at once). Bytes outside a frame are skipped until the sync word;
/// a header is checked against the profile's limits before its payload is allocated; the checksum is computed as the
/// bytes arrive. After a rejected header the decoder looks for a sync word again from the byte after the false one,
/// so a real frame hidden behind line noise that looked like a sync word is not lost.
/// Not thread-safe: one reader feeds it.
/// </summary>
public sealed class FrameDecoder
{
    private enum State { Hunt, Header, Payload, Checksum }

    private readonly FrameFormat _f;
    private readonly byte[] _pending;
    private readonly byte[] _checksumBytes = new byte[4];
    private readonly Checksum _checksum;
    private State _state;
    private int _pendingLength;
    private byte[]? _payload;
    private int _payloadFill;
    private int _checksumFill;
    private long? _frameNumber;
    private ImageFormat? _format;
    private List<DeviceValue>? _values;

    public FrameDecoder(FrameFormat format)
    {
        _f = format;
        _pending = new byte[format.Sync.Length + format.HeaderLength];
        _checksum = new Checksum(format.ChecksumKind);
    }

    public FrameDecoderStats Stats { get; } = new();

    /// <summary>True between the first byte of a sync word and the end of its frame.</summary>
    public bool InFrame => _state != State.Hunt || _pendingLength > 0;

    public void Feed(ReadOnlySpan<byte> data, List<FrameEvent> events)
    {
        // Bytes to look at again after a rejected header; they come before the rest of the input.
        byte[]? again = null;
        while (true)
        {
            if (again is not null)
            {
                ReadOnlySpan<byte> replay = again;
                var more = Step(ref replay, events);
                again = more is null ? null : [.. more, .. replay];
                continue;
            }
            if (data.IsEmpty)
                return;
            again = Step(ref data, events);
        }
    }

    /// <summary>The bytes stopped (byte timeout, link lost): a frame in progress is dropped and reported.</summary>
    public void Abandon(List<FrameEvent> events)
    {
        if (_state == State.Hunt)
        {
            Stats.GarbageBytes += _pendingLength;
            _pendingLength = 0;
            return;
        }
        Stats.Abandoned++;
        var received = _state == State.Header ? _pendingLength : _pending.Length + _payloadFill + _checksumFill;
        events.Add(new FrameRejected(FrameFault.Abandoned, $"frame abandoned after {received} byte(s): no more bytes came", _frameNumber));
        Reset();
    }

    /// <summary>Consumes bytes until <paramref name="data"/> is empty or a header is rejected (then returns the bytes to scan again).</summary>
    private byte[]? Step(ref ReadOnlySpan<byte> data, List<FrameEvent> events)
    {
        while (!data.IsEmpty)
        {
            switch (_state)
            {
                case State.Hunt:
                    if (_pendingLength == 0)
                    {
                        var start = data.IndexOf(_f.Sync[0]);
                        if (start < 0)
                        {
                            Stats.GarbageBytes += data.Length;
                            data = default;
                            return null;
                        }
                        Stats.GarbageBytes += start;
                        data = data[start..];
                    }
                    var b = data[0];
                    data = data[1..];
                    _pending[_pendingLength++] = b;
                    if (b != _f.Sync[_pendingLength - 1])
                    {
                        // Not a sync word after all: its first byte was noise; the rest may start the real one.
                        Stats.GarbageBytes++;
                        return TakePendingTail();
                    }
                    if (_pendingLength == _f.Sync.Length)
                    {
                        _state = State.Header;
                        if (_f.HeaderLength == 0 && !StartPayload(events))
                            return TakePendingTail();
                    }
                    break;
                case State.Header:
                    var take = Math.Min(data.Length, _pending.Length - _pendingLength);
                    data[..take].CopyTo(_pending.AsSpan(_pendingLength));
                    _pendingLength += take;
                    data = data[take..];
                    if (_pendingLength == _pending.Length && !StartPayload(events))
                        return TakePendingTail();
                    break;
                case State.Payload:
                    var n = Math.Min(data.Length, _payload!.Length - _payloadFill);
                    var chunk = data[..n];
                    chunk.CopyTo(_payload.AsSpan(_payloadFill));
                    _checksum.Append(chunk);
                    _payloadFill += n;
                    data = data[n..];
                    if (_payloadFill == _payload.Length)
                    {
                        _state = State.Checksum;
                        if (_f.ChecksumKind == ChecksumKind.None)
                            Complete(events);
                    }
                    break;
                case State.Checksum:
                    var size = _f.ChecksumKind.Size();
                    var c = Math.Min(data.Length, size - _checksumFill);
                    data[..c].CopyTo(_checksumBytes.AsSpan(_checksumFill));
                    _checksumFill += c;
                    data = data[c..];
                    if (_checksumFill == size)
                        Complete(events);
                    break;
            }
        }
        return null;
    }

    private byte[] TakePendingTail()
    {
        var tail = _pending.AsSpan(1, _pendingLength - 1).ToArray();
        _pendingLength = 0;
        _state = State.Hunt;
        return tail;
    }

    /// <summary>Checks the header; allocates the payload only when the frame it announces is possible.</summary>
    private bool StartPayload(List<FrameEvent> events)
    {
        var header = _pending.AsSpan(_f.Sync.Length, _f.HeaderLength);
        var problem = ReadHeader(header, out var format, out var length);
        if (problem is not null)
        {
            Stats.HeadersRejected++;
            events.Add(new FrameRejected(FrameFault.Header, problem, _frameNumber));
            _frameNumber = null;
            return false;
        }
        _format = format;
        _payload = GC.AllocateUninitializedArray<byte>((int)length);
        _payloadFill = 0;
        _checksumFill = 0;
        _checksum.Reset();
        if (_f.ChecksumCoversSync)
            _checksum.Append(_pending.AsSpan(0, _f.Sync.Length));
        if (_f.ChecksumCoversHeader)
            _checksum.Append(header);
        _state = State.Payload;
        if (length == 0)
            _state = State.Checksum;
        return true;
    }

    private string? ReadHeader(ReadOnlySpan<byte> header, out ImageFormat? format, out long length)
    {
        format = null;
        length = 0;
        var fixedImage = _f.Settings.Image;
        _frameNumber = _f.Field(HeaderLayout.FrameNumber) is { } fn ? (long)fn.Read(header) : null;
        var width = _f.Field(HeaderLayout.Width) is { } widthField ? widthField.Read(header) : fixedImage.Width ?? 0;
        var height = _f.Field(HeaderLayout.Height) is { } heightField ? heightField.Read(header) : fixedImage.Height ?? 0;
        var bits = _f.Field(HeaderLayout.BitsStored) is { } bitsField ? bitsField.Read(header) : fixedImage.BitsStored ?? 0;
        var samples = _f.Field(HeaderLayout.Samples) is { } samplesField ? samplesField.Read(header) : fixedImage.Samples ?? 0;
        if (!(double.IsInteger(width) && double.IsInteger(height) && width >= 1 && width <= _f.Settings.MaxWidth && height >= 1 && height <= _f.Settings.MaxHeight))
            return $"header announces {width}×{height} pixels; this device sends at most {_f.Settings.MaxWidth}×{_f.Settings.MaxHeight}";
        if (!(double.IsInteger(bits) && bits is >= 1 and <= 16))
            return $"header announces {bits} bits per sample; 1 to 16 are possible";
        if (samples is not (1 or 3))
            return $"header announces {samples} samples per pixel; 1 (grey) or 3 (RGB) are possible";
        if (samples == 3 && bits > 8)
            return $"header announces RGB with {bits} bits per sample; colour frames have 8";
        var bytesPerSample = bits > 8 ? 2 : 1;
        length = (long)width * (long)height * (long)samples * bytesPerSample;
        if (length > _f.Settings.MaxPayloadBytes)
            return $"header announces a {length}-byte payload; this device's limit is {_f.Settings.MaxPayloadBytes} bytes";
        if (_f.Field(HeaderLayout.PayloadLength) is { } pl && (long)pl.Read(header) != length)
            return $"header says the payload is {(long)pl.Read(header)} bytes, but {width}×{height}×{samples} samples of {bytesPerSample * 8} bits are {length}";
        format = new ImageFormat((int)width, (int)height, (int)samples, bytesPerSample * 8, (int)bits);
        _values = null;
        foreach (var field in _f.Fields)
        {
            if (field.Keyword is not null)
                (_values ??= []).Add(new DeviceValue(field.Keyword, ScaledValue.FromHeader(field.Read(header), field.Type, field.Scale, field.Keyword)));
        }
        return null;
    }

    private void Complete(List<FrameEvent> events)
    {
        var size = _f.ChecksumKind.Size();
        var expected = size switch
        {
            0 => 0u,
            1 => _checksumBytes[0],
            2 => _f.ChecksumBigEndian ? BinaryPrimitives.ReadUInt16BigEndian(_checksumBytes) : BinaryPrimitives.ReadUInt16LittleEndian(_checksumBytes),
            _ => _f.ChecksumBigEndian ? BinaryPrimitives.ReadUInt32BigEndian(_checksumBytes) : BinaryPrimitives.ReadUInt32LittleEndian(_checksumBytes),
        };
        var actual = _checksum.Value;
        if (expected != actual)
        {
            Stats.ChecksumFailures++;
            events.Add(new FrameRejected(FrameFault.Checksum, string.Create(CultureInfo.InvariantCulture,
                $"checksum mismatch{(_frameNumber is { } n ? $" in frame {n}" : "")}: the frame says 0x{expected:X}, its bytes give 0x{actual:X}"), _frameNumber));
        }
        else
        {
            var pixels = _payload!;
            if (_f.PixelBigEndian && _format!.BitsAllocated == 16)
            {
                var words = MemoryMarshal.Cast<byte, ushort>(pixels.AsSpan());
                BinaryPrimitives.ReverseEndianness(words, words);
            }
            Stats.Frames++;
            events.Add(new FrameReceived(new DecodedFrame(_frameNumber, _format!, pixels, _values ?? [])));
        }
        Reset();
    }

    private void Reset()
    {
        _state = State.Hunt;
        _pendingLength = 0;
        _payload = null;
        _payloadFill = 0;
        _checksumFill = 0;
        _frameNumber = null;
        _format = null;
        _values = null;
    }
}
