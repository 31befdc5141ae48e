using System.IO.Compression;
using System.Text;

namespace Gateway.Dicom;

/// <summary>
/// A DICOM Part 10 file (PS3.10 §7): preamble, "DICM", File Meta Information (group 0002, Explicit VR LE) and the
/// data set in its transfer syntax. Also reads raw data sets without preamble or meta, guessing their encoding.
/// </summary>
public sealed class DicomFile
{
    private static readonly byte[] Magic = "DICM"u8.ToArray();

    public DicomFile(DicomDataset dataset, DicomTransferSyntax transferSyntax, DicomDataset? meta = null)
    {
        Dataset = dataset;
        TransferSyntax = transferSyntax;
        Meta = meta ?? new DicomDataset();
    }

    /// <summary>Where the data set starts in the file it was read from (after the File Meta Information); -1 when not read from a file.</summary>
    public long DatasetOffset { get; private init; } = -1;

    /// <summary>The file it was read from, if any.</summary>
    public string? Path { get; private init; }

    /// <summary>False when only the first elements were read (<see cref="DicomReadOptions.StopBefore"/>).</summary>
    public bool IsComplete { get; private init; } = true;

    /// <summary>Reads the File Meta Information and the data set up to and including SOP Instance UID: enough to route and send a file.</summary>
    public static DicomFile OpenHeader(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return ReadHeader(fs, System.IO.Path.GetFullPath(path));
    }

    /// <summary>As <see cref="OpenHeader(string)"/>, from an open seekable stream of the file at <paramref name="path"/>.</summary>
    public static DicomFile ReadHeader(Stream seekable, string path) => Read(seekable, HeaderOnly, path);

    private static readonly DicomReadOptions HeaderOnly = new() { StopBefore = new DicomTag(0x0008, 0x0019) };

    /// <summary>File Meta Information (group 0002) as read; regenerated when written.</summary>
    public DicomDataset Meta { get; }
    public DicomDataset Dataset { get; }
    public DicomTransferSyntax TransferSyntax { get; }

    /// <summary>Opens a file; large bulk values (pixel data) stay on disk until asked for.</summary>
    public static DicomFile Open(string path, DicomReadOptions? options = null)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return Read(fs, options, System.IO.Path.GetFullPath(path));
    }

    /// <summary>Reads from a stream; every value is loaded (there is no file to come back to).</summary>
    public static DicomFile Read(Stream stream, DicomReadOptions? options = null) => Read(stream, options, null);

    /// <summary>
    /// As <see cref="Open(string, DicomReadOptions)"/>, from a file the caller has open (read from its start): the values
    /// left on disk are read through <paramref name="open"/>'s handle — the very file opened, whatever happens to its
    /// name meanwhile — so they can be read only while it is open (then <see cref="ObjectDisposedException"/>).
    /// </summary>
    public static DicomFile Open(FileStream open, DicomReadOptions? options = null)
    {
        open.Position = 0;
        return Read(open, options, System.IO.Path.GetFullPath(open.Name), open.SafeFileHandle);
    }

    private static DicomFile Read(Stream stream, DicomReadOptions? options, string? path, Microsoft.Win32.SafeHandles.SafeFileHandle? handle = null)
    {
        options ??= DicomReadOptions.Default;
        // A header read needs a few hundred bytes: don't pull 64 KiB of pixel data through the buffer for it.
        var input = new DicomInput(stream, path, 0, options.StopBefore is null ? 64 * 1024 : 4096) { Handle = handle };
        var meta = new DicomDataset();

        if (input.TryEnsure(132) && input.Peek(132)[128..].SequenceEqual(Magic))
        {
            input.TrySkip(132);
            ReadMeta(input, meta);
        }
        else if (input.TryEnsure(6) && input.Peek(2)[0] == 0x02 && input.Peek(2)[1] == 0x00 && IsVR(input.Peek(6)[4..]))
        {
            ReadMeta(input, meta); // meta without preamble
        }

        DicomTransferSyntax ts;
        if (meta.Find(DicomTags.TransferSyntaxUID) is DicomElement tse)
        {
            var uid = tse.GetText(DicomCharacterSet.Default).Trim();
            ts = DicomTransferSyntax.FromUid(uid);
        }
        else
        {
            ts = GuessTransferSyntax(input);
        }

        var dataset = new DicomDataset();
        var datasetOffset = input.Position;
        if (ts.IsDeflated)
        {
            // The rest of the file is a raw deflate stream (RFC 1951) of an Explicit VR LE data set (PS3.5 §A.5).
            var origin = input.Position;
            using var inflated = new DeflateStream(new RemainderStream(stream, input), CompressionMode.Decompress);
            var inner = new DicomInput(inflated, null, origin);
            try
            {
                new DicomParser(inner, options).ReadDataset(dataset, true, false);
            }
            catch (InvalidDataException e)
            {
                throw new DicomFormatException($"the deflated data set is corrupt: {e.Message}", inner.Position, null, e);
            }
        }
        else
        {
            // Peek at the first data set element: some writers declare one VR encoding and use the other.
            var explicitVR = ts.IsExplicitVR;
            if (input.TryEnsure(6))
            {
                var looksExplicit = IsVR(input.Peek(6)[4..]);
                if (looksExplicit != explicitVR)
                    explicitVR = looksExplicit;
            }
            new DicomParser(input, options).ReadDataset(dataset, explicitVR, ts.IsBigEndian);
        }
        return new DicomFile(dataset, ts, meta) { DatasetOffset = path is null ? -1 : datasetOffset, Path = path, IsComplete = options.StopBefore is null };
    }

    /// <summary>Reads a bare data set (no preamble, no meta) in a known transfer syntax, e.g. a DIMSE command set.</summary>
    public static DicomDataset ReadDataset(Stream stream, DicomTransferSyntax transferSyntax, DicomReadOptions? options = null)
    {
        var dataset = new DicomDataset();
        // Command sets and other small data sets: a buffer the size of the input, not 64 KiB per call.
        var size = stream.CanSeek ? (int)Math.Clamp(stream.Length - stream.Position, 16, 64 * 1024) : 64 * 1024;
        new DicomParser(new DicomInput(stream, null, 0, size), options ?? DicomReadOptions.Default).ReadDataset(dataset, transferSyntax.IsExplicitVR, transferSyntax.IsBigEndian);
        return dataset;
    }

    private static void ReadMeta(DicomInput input, DicomDataset meta)
    {
        // Group 0002 is always Explicit VR Little Endian (PS3.10 §7.1). Read it element by element up to the first
        // tag of another group, so that a wrong group length does not derail us.
        var metaOnly = new DicomReadOptions { OnlyGroup = 0x0002, LazyThreshold = int.MaxValue };
        var metaParser = new DicomParser(input, metaOnly);
        var explicitMeta = !input.TryEnsure(6) || IsVR(input.Peek(6)[4..]);
        metaParser.ReadDataset(meta, explicitMeta, false);
    }

    private static DicomTransferSyntax GuessTransferSyntax(DicomInput input)
    {
        if (!input.TryEnsure(6))
            return DicomTransferSyntax.ImplicitVRLittleEndian;
        var p = input.Peek(6);
        var explicitVR = IsVR(p[4..]);
        // A big-endian group 0008 reads as 0x0800 in little endian.
        var bigEndian = p[0] == 0x00 && p[1] != 0x00;
        if (bigEndian && explicitVR)
            return DicomTransferSyntax.ExplicitVRBigEndian;
        return explicitVR ? DicomTransferSyntax.ExplicitVRLittleEndian : DicomTransferSyntax.ImplicitVRLittleEndian;
    }

    private static bool IsVR(ReadOnlySpan<byte> two) => DicomVR.TryGet(two[0], two[1], out _);

    /// <summary>
    /// Writes the file to a temporary file beside <paramref name="path"/> and renames it into place, so that a failed
    /// write never leaves a partial file. <paramref name="durable"/> also flushes it to the disk before the rename.
    /// </summary>
    public void Save(string path, DicomTransferSyntax? transferSyntax = null, bool durable = false)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        var temp = System.IO.Path.Combine(dir, "." + System.IO.Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                WriteTo(fs, transferSyntax);
                fs.Flush(durable);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// This file in another transfer syntax, its pixel data decompressed and/or compressed frame by frame
    /// (<see cref="Codecs.PixelDataTranscoder"/>). Corrupt compressed pixel data raises <see cref="DicomFormatException"/>.
    /// </summary>
    /// <param name="store">Where the new pixel data are kept (see <see cref="Codecs.PixelDataTranscoder.Transcode"/>); null: in memory.</param>
    public DicomFile Transcode(DicomTransferSyntax transferSyntax, Codecs.CodecOptions? options = null, Codecs.PixelStore? store = null)
    {
        var dataset = Codecs.PixelDataTranscoder.Transcode(Dataset, TransferSyntax, transferSyntax, options, store);
        return new DicomFile(dataset, transferSyntax, Meta) { Path = Path };
    }

    /// <summary>Writes preamble, File Meta Information and the data set.</summary>
    public void WriteTo(Stream stream, DicomTransferSyntax? transferSyntax = null)
    {
        var ts = transferSyntax ?? TransferSyntax;
        CheckCanWrite(ts);
        stream.Write(new byte[128]);
        stream.Write(Magic);
        WriteMeta(stream, BuildMeta(ts));
        if (ts.IsDeflated)
        {
            using var deflate = new DeflateStream(stream, CompressionLevel.Optimal, leaveOpen: true);
            using var buffered = new BufferedStream(deflate, 64 * 1024);
            new DicomWriter(buffered, true).WriteDataset(Dataset);
        }
        else
        {
            new DicomWriter(stream, ts.IsExplicitVR).WriteDataset(Dataset);
        }
    }

    private void CheckCanWrite(DicomTransferSyntax ts)
    {
        if (ts.IsEncapsulated && ts.Equals(TransferSyntax))
            return; // compressed pixel data is written back as it came
        if (!ts.CanWrite)
            throw new NotSupportedException($"writing {ts} is not supported{(ts.IsEncapsulated ? ": Transcode to it first" : "")}");
        if (TransferSyntax.IsEncapsulated || Dataset.Find(DicomTags.PixelData) is DicomFragmentSequence)
            throw new NotSupportedException($"the pixel data is compressed ({TransferSyntax.Name}); converting it to {ts.Name} needs Transcode first");
    }

    /// <summary>File Meta Information for this data set (PS3.10 §7.1).</summary>
    public DicomDataset BuildMeta(DicomTransferSyntax ts)
    {
        var m = new DicomDataset();
        m.SetBytes(DicomTags.FileMetaInformationVersion, DicomVR.OB, DicomBuffer.From(new byte[] { 0x00, 0x01 }));
        m.Set(DicomTags.MediaStorageSOPClassUID, DicomVR.UI, RawText(DicomTags.SOPClassUID, DicomTags.MediaStorageSOPClassUID));
        m.Set(DicomTags.MediaStorageSOPInstanceUID, DicomVR.UI, RawText(DicomTags.SOPInstanceUID, DicomTags.MediaStorageSOPInstanceUID));
        m.Set(DicomTags.TransferSyntaxUID, DicomVR.UI, ts.Uid);
        m.Set(DicomTags.ImplementationClassUID, DicomVR.UI, DicomImplementation.ClassUid);
        m.Set(DicomTags.ImplementationVersionName, DicomVR.SH, DicomImplementation.VersionName);
        if (Meta.Find(DicomTags.SourceApplicationEntityTitle) is DicomElement aet)
            m.AddOrUpdate(aet);
        return m;
    }

    private string RawText(DicomTag datasetTag, DicomTag metaTag)
    {
        // Copy the UID as it is: a received UID that breaks the rules is still the object's identity.
        var source = Dataset.Find(datasetTag) as DicomElement ?? Meta.Find(metaTag) as DicomElement
            ?? throw new DicomValueException($"{DicomDictionary.KeywordOf(datasetTag)} {datasetTag} is missing: a Part 10 file needs it");
        var text = source.GetText(DicomCharacterSet.Default);
        return DicomUid.IsValid(text) ? text : throw new DicomValueException(
            $"{DicomDictionary.KeywordOf(datasetTag)} {datasetTag} '{text}' cannot go into the file meta information: {DicomUid.Validate(text)}");
    }

    internal static void WriteMetaTo(Stream stream, DicomDataset meta) => WriteMeta(stream, meta);

    private static void WriteMeta(Stream stream, DicomDataset meta)
    {
        using var body = new MemoryStream();
        new DicomWriter(body, true).WriteDataset(meta);
        var groupLength = new DicomDataset().Set(DicomTags.FileMetaInformationGroupLength, (double)body.Length);
        new DicomWriter(stream, true).WriteDataset(groupLength, skipGroupLengths: false);
        body.Position = 0;
        body.CopyTo(stream);
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(TransferSyntax.Name).Append(", ").Append(Dataset.Count).Append(" elements");
        return sb.ToString();
    }
}
