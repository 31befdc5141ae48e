using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Gateway.Dicom.Video;

/// <summary>
/// Writes a Part 10 file with an encapsulated video stream as the stream arrives, so that a long clip never sits in
/// memory: the data set (everything before Pixel Data), then Pixel Data of undefined length with an empty Basic Offset
/// Table and the stream in one fragment whose length is patched when it ends (PS3.5 §A.4 and §8.2.7: the non-fragmentable
/// video syntaxes keep the stream in one fragment; only a stream past 0xFFFFFFFE bytes goes on in the next), then the
/// sequence delimiter; Number of Frames, written as eight fixed characters, is patched last. The stream must be
/// seekable (a file): the caller writes into a temporary file and renames it only after <see cref="Complete"/>.
/// </summary>
public sealed class VideoClipWriter
{
    /// <summary>The largest fragment: an item length is 32 bits, 0xFFFFFFFF means undefined, and it must be even.</summary>
    internal const long MaxFragment = 0xFFFFFFFE;

    private const int NumberOfFramesWidth = 8;
    private readonly Stream _output;
    private readonly long _framesValue;
    private readonly long _maxFragment;
    private long _fragmentHeader = -1;
    private long _fragmentLength;
    private bool _completed;

    private VideoClipWriter(Stream output, long framesValue, long maxFragment)
    {
        _output = output;
        _framesValue = framesValue;
        _maxFragment = maxFragment;
    }

    /// <summary>Bytes of the stream written so far.</summary>
    public long StreamLength { get; private set; }

    /// <summary>Writes preamble, meta information and <paramref name="dataset"/> (which must not hold Pixel Data), and opens the pixel data.</summary>
    public static VideoClipWriter Start(Stream output, DicomDataset dataset, DicomTransferSyntax transferSyntax) =>
        Start(output, dataset, transferSyntax, MaxFragment);

    /// <param name="maxFragment">Tests: a small even limit shows the stream going on in further fragments without writing 4 GiB.</param>
    internal static VideoClipWriter Start(Stream output, DicomDataset dataset, DicomTransferSyntax transferSyntax, long maxFragment)
    {
        if (maxFragment is < 2 or > MaxFragment || (maxFragment & 1) != 0)
            throw new ArgumentOutOfRangeException(nameof(maxFragment), maxFragment, "an even fragment length up to 0xFFFFFFFE");
        if (!output.CanSeek)
            throw new ArgumentException("a clip is written into a seekable stream (its lengths are patched at the end)", nameof(output));
        if (!transferSyntax.IsEncapsulated)
            throw new ArgumentException($"{transferSyntax} does not encapsulate pixel data", nameof(transferSyntax));
        if (dataset.Contains(DicomTags.PixelData))
            throw new ArgumentException("the data set already holds Pixel Data", nameof(dataset));
        var ds = new DicomDataset();
        foreach (var item in dataset)
            ds.AddOrUpdate(item);
        ds.AddOrUpdate(new DicomElement(DicomTags.NumberOfFrames, DicomVR.IS, DicomBuffer.From(FramesText(0))));
        var file = new DicomFile(ds, transferSyntax);
        output.Write(new byte[128]);
        output.Write("DICM"u8);
        DicomFile.WriteMetaTo(output, file.BuildMeta(transferSyntax));
        var writer = new DicomWriter(output, true) { Mark = DicomTags.NumberOfFrames };
        writer.WriteDataset(ds);
        // The element header is 8 bytes (explicit VR, IS has a 16-bit length).
        var clip = new VideoClipWriter(output, writer.MarkedPosition + 8, maxFragment);
        Span<byte> h = stackalloc byte[12];
        Tag(h, DicomTags.PixelData);
        h[4] = (byte)'O';
        h[5] = (byte)'B';
        h[6] = h[7] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], 0xFFFFFFFF);
        output.Write(h);
        clip.Item(0);               // the Basic Offset Table, empty
        clip.OpenFragment();
        return clip;
    }

    /// <summary>Appends stream bytes (whole access units, so that the stream in the file is always decodable).</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (_completed)
            throw new InvalidOperationException("the clip is complete");
        while (bytes.Length > 0)
        {
            if (_fragmentLength == _maxFragment)
            {
                CloseFragment();
                OpenFragment();
            }
            var n = (int)Math.Min(bytes.Length, _maxFragment - _fragmentLength);
            _output.Write(bytes[..n]);
            _fragmentLength += n;
            StreamLength += n;
            bytes = bytes[n..];
        }
    }

    /// <summary>Ends the pixel data and sets Number of Frames; the caller flushes and renames the file.</summary>
    public void Complete(long frames)
    {
        if (frames is < 1 or > 99_999_999)
            throw new ArgumentOutOfRangeException(nameof(frames), frames, "a clip has 1 to 99,999,999 frames");
        if (_completed)
            throw new InvalidOperationException("the clip is complete");
        // An odd stream is padded with one zero byte: trailing_zero_8bits of the byte stream (H.264 §B.1.1).
        if ((_fragmentLength & 1) == 1)
        {
            _output.WriteByte(0);
            _fragmentLength++;
        }
        CloseFragment();
        Span<byte> delimiter = stackalloc byte[8];
        Tag(delimiter, DicomTag.SequenceDelimitation);
        BinaryPrimitives.WriteUInt32LittleEndian(delimiter[4..], 0);
        _output.Write(delimiter);
        var end = _output.Position;
        _output.Position = _framesValue;
        _output.Write(FramesText(frames));
        _output.Position = end;
        _completed = true;
    }

    private static byte[] FramesText(long frames) =>
        Encoding.ASCII.GetBytes(frames.ToString(CultureInfo.InvariantCulture).PadRight(NumberOfFramesWidth));

    private void OpenFragment()
    {
        _fragmentHeader = _output.Position;
        _fragmentLength = 0;
        Item(0xFFFFFFFF);
    }

    private void CloseFragment()
    {
        var end = _output.Position;
        _output.Position = _fragmentHeader + 4;
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)_fragmentLength);
        _output.Write(length);
        _output.Position = end;
    }

    private void Item(uint length)
    {
        Span<byte> h = stackalloc byte[8];
        Tag(h, DicomTag.Item);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], length);
        _output.Write(h);
    }

    private static void Tag(Span<byte> h, DicomTag tag)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(h, tag.Group);
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], tag.Element);
    }
}
