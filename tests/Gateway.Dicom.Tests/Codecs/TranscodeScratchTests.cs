using Gateway.Dicom.Codecs;
using Gateway.Testing;
using Xunit;

namespace Gateway.Dicom.Tests.Codecs;

/// <summary>
/// Issue #19, memory proportional to one frame: a transcode whose source is opened with its pixel data left on disk
/// (<see cref="DicomFile.Open"/>) and whose result is kept in a <see cref="PixelScratchFile"/> writes exactly the bytes
/// of the in-memory transcode, and allocates about one frame whatever the number of frames.
/// </summary>
public sealed class TranscodeScratchTests : IDisposable
{
    private readonly TempDirectory _dir = new("scratch");

    public void Dispose() => _dir.Dispose();

    private static readonly CodecImages.Spec Cine = new("20-frame-512x384-12bit", Iod.IodKind.MultiFrameGrayscaleWord, 512, 384, 1, 16, 12, Frames: 20);

    private string Saved(DicomFile file, string name)
    {
        var path = _dir.File(name);
        file.Save(path);
        return path;
    }

    private static byte[] Written(DicomFile file)
    {
        using var bytes = new MemoryStream();
        file.WriteTo(bytes);
        return bytes.ToArray();
    }

    public static TheoryData<string, string> Steps => new()
    {
        { "explicit", "jpeg-ls" },
        { "explicit", "rle" },
        { "explicit", "jpeg-lossless" },
        { "jpeg-ls", "explicit" },
        { "rle", "jpeg-ls" },
        { "jpeg-lossless", "explicit" },
    };

    [Theory]
    [MemberData(nameof(Steps))]
    public void Through_a_scratch_file_the_transcode_writes_the_same_bytes_as_in_memory(string fromName, string toName)
    {
        Assert.True(TransferSyntaxNames.TryParse(fromName, out var from));
        Assert.True(TransferSyntaxNames.TryParse(toName, out var to));
        var source = Saved(CodecImages.File(Cine).Transcode(from), "source.dcm");

        byte[] inMemory;
        using (var whole = File.OpenRead(source))
            inMemory = Written(DicomFile.Read(whole).Transcode(to));
        using var scratch = new PixelScratchFile(_dir.Path);
        var lazy = DicomFile.Open(source);
        var throughScratch = lazy.Transcode(to, null, scratch);

        Assert.Equal(inMemory, Written(throughScratch));
        Assert.True(scratch.Length > 0);
        Assert.Empty(Directory.GetFiles(_dir.Path, "transcode.*")); // nameless from the start: nothing for a crash to leave
    }

    /// <summary>
    /// Explicit VR Big Endian, 8-bit samples in OW (PS3.5 §8.1.1 allows either), 3 frames of 255×255: each frame is an
    /// odd number of bytes, so frames 2 and 3 start in the middle of a 16-bit word. The in-memory read swaps the value's
    /// words from its start; a frame read from the file must swap the same words, not pairs counted from its own start.
    /// </summary>
    [Fact]
    public void A_big_endian_OW_source_with_odd_sized_8_bit_frames_gives_the_same_pixels_from_the_file_as_in_memory()
    {
        const int side = 255, frames = 3;
        var pixels = new byte[side * side * frames];
        new Random(19).NextBytes(pixels);
        var source = _dir.File("big-endian.dcm");
        File.WriteAllBytes(source, BigEndianOw8(pixels, side, frames));

        byte[] inMemory;
        using (var whole = File.OpenRead(source))
            inMemory = Written(DicomFile.Read(whole).Transcode(DicomTransferSyntax.RleLossless));
        var decoded = DicomFile.Read(new MemoryStream(inMemory));
        for (var f = 0; f < frames; f++)
            Assert.Equal(pixels.AsSpan(f * side * side, side * side).ToArray(), PixelDataTranscoder.ReadFrame(decoded.Dataset, decoded.TransferSyntax, f));
        using var scratch = new PixelScratchFile(_dir.Path);
        Assert.Equal(inMemory, Written(DicomFile.Open(source).Transcode(DicomTransferSyntax.RleLossless, null, scratch)));
    }

    /// <summary>A Multi-frame Grayscale Byte SC image in Explicit VR Big Endian, its 8-bit pixels in OW (words swapped).</summary>
    private static byte[] BigEndianOw8(byte[] pixels, int side, int frames)
    {
        using var m = new MemoryStream();
        m.Write(new byte[128]);
        m.Write("DICM"u8);
        void Meta(ushort element, string vr, byte[] value)
        {
            Span<byte> h = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(h, 2);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(h[2..], element);
            h[4] = (byte)vr[0];
            h[5] = (byte)vr[1];
            if (vr == "OB")
            {
                m.Write(h[..6]);
                m.Write(new byte[2]);
                var l = new byte[4];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(l, (uint)value.Length);
                m.Write(l);
            }
            else
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(h[6..], (ushort)value.Length);
                m.Write(h);
            }
            m.Write(value);
        }
        static byte[] Uid(string uid) => System.Text.Encoding.ASCII.GetBytes(uid.Length % 2 == 1 ? uid + "\0" : uid);
        static byte[] Text(string text) => System.Text.Encoding.ASCII.GetBytes(text.Length % 2 == 1 ? text + " " : text);
        const string sopClass = "1.2.840.10008.5.1.4.1.1.7.2";
        Meta(0x0001, "OB", [0, 1]);
        Meta(0x0002, "UI", Uid(sopClass));
        Meta(0x0003, "UI", Uid("1.2.826.0.1.3680043.19.1"));
        Meta(0x0010, "UI", Uid(DicomUids.ExplicitVRBigEndian));
        void Element(ushort group, ushort element, string vr, byte[] value)
        {
            var h = new byte[12];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(h, group);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), element);
            h[4] = (byte)vr[0];
            h[5] = (byte)vr[1];
            if (vr == "OW")
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(8), (uint)value.Length);
                m.Write(h);
            }
            else
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(6), (ushort)value.Length);
                m.Write(h.AsSpan(0, 8));
            }
            m.Write(value);
        }
        static byte[] Us(ushort v) => [(byte)(v >> 8), (byte)v];
        Element(0x0008, 0x0016, "UI", Uid(sopClass));
        Element(0x0008, 0x0018, "UI", Uid("1.2.826.0.1.3680043.19.1"));
        Element(0x0028, 0x0002, "US", Us(1));
        Element(0x0028, 0x0004, "CS", Text("MONOCHROME2"));
        Element(0x0028, 0x0008, "IS", Text(frames.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Element(0x0028, 0x0010, "US", Us((ushort)side));
        Element(0x0028, 0x0011, "US", Us((ushort)side));
        Element(0x0028, 0x0100, "US", Us(8));
        Element(0x0028, 0x0101, "US", Us(8));
        Element(0x0028, 0x0102, "US", Us(7));
        Element(0x0028, 0x0103, "US", Us(0));
        var words = new byte[pixels.Length + (pixels.Length & 1)];
        pixels.CopyTo(words, 0);
        for (var i = 0; i < words.Length; i += 2)
            (words[i], words[i + 1]) = (words[i + 1], words[i]);
        Element(0x7FE0, 0x0010, "OW", words);
        return m.ToArray();
    }

    [Fact]
    public void Decompressing_20_frames_through_a_scratch_file_allocates_about_one_frame_not_twenty()
    {
        var source = Saved(CodecImages.File(Cine).Transcode(DicomTransferSyntax.JpegLsLossless), "cine-jpegls.dcm");
        var frameBytes = 512 * 384 * 2;
        using (var warm = new PixelScratchFile(_dir.Path))
            Written(DicomFile.Open(source).Transcode(DicomTransferSyntax.ExplicitVRLittleEndian, null, warm)); // JIT and pools

        using var scratch = new PixelScratchFile(_dir.Path);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = DicomFile.Open(source).Transcode(DicomTransferSyntax.ExplicitVRLittleEndian, null, scratch);
        var transcoding = GC.GetAllocatedBytesForCurrentThread() - before;
        using var sink = new CountingStream();
        result.WriteTo(sink);
        var all = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(20L * frameBytes, scratch.Length);
        Assert.True(sink.Length > 20L * frameBytes);
        // One native frame (384 KiB), and per frame the decoder's tables, lines and contexts (tens of KiB, whatever the
        // frame's size), then the writer's 1 MiB chunk: far below the 7.5 MiB of native pixels (the in-memory transcode
        // allocates all of them, and the whole compressed file besides).
        Assert.True(transcoding < 3 * frameBytes, $"the transcode allocated {transcoding} bytes for 20 frames of {frameBytes}");
        Assert.True(all < 3 * frameBytes + (1 << 20) + (256 << 10), $"transcode and write allocated {all} bytes");
    }

    [Fact]
    public void Buffers_of_a_disposed_scratch_file_cannot_be_read_and_say_so()
    {
        var scratch = new PixelScratchFile(_dir.Path);
        var buffer = scratch.Keep([1, 2, 3, 4]);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, buffer.Memory.ToArray());
        scratch.Dispose();
        Assert.ThrowsAny<ObjectDisposedException>(() => buffer.Memory);
        Assert.Throws<ObjectDisposedException>(() => scratch.Keep([5]));
    }

    /// <summary>A write-only stream that only counts.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
    }
}
