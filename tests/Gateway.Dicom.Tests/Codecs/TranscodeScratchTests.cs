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
