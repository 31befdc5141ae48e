using System.Security.Cryptography;
using System.Text;

namespace Gateway.Dicom.Network;

/// <summary>
/// One object arriving in a C-STORE: written to a temporary file as its fragments arrive (Part 10 header first, then
/// the data set bytes exactly as received, hashed with SHA-256 as they are written), then fsync'd, checked, and renamed
/// into place under a name we generate — or, without <see cref="DicomServerOptions.SyncReceived"/>, checked and handed
/// on under its temporary name for the receiver to make durable. A write failure (disk full) is remembered, the rest of
/// the data is drained, and the SCU gets "out of resources".
/// </summary>
internal sealed class IncomingObject : Stream
{
    private readonly FileStream? _file;
    private readonly string _tempPath;
    private readonly string _directory;
    private readonly bool _sync;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _length;
    private int _discarded;

    public IncomingObject(string directory, string sopClass, string sopInstance, string transferSyntax, string callingAE, bool sync = true)
    {
        _directory = directory;
        _sync = sync;
        SopClass = sopClass;
        SopInstance = sopInstance;
        TransferSyntax = transferSyntax;
        CallingAE = callingAE;
        var incoming = System.IO.Path.Combine(directory, ".incoming");
        _tempPath = System.IO.Path.Combine(incoming, Guid.NewGuid().ToString("N") + ".part");
        try
        {
            Directory.CreateDirectory(incoming);
            _file = new FileStream(_tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            WritePart10Header(_file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Failure = e.Message;
        }
    }

    public string SopClass { get; }
    public string SopInstance { get; }
    public string TransferSyntax { get; }
    public string CallingAE { get; }
    /// <summary>Why the object could not be written, if it could not.</summary>
    public string? Failure { get; private set; }

    private void WritePart10Header(Stream s)
    {
        // Received UIDs are written as they came (lenient): they are the object's identity, not a path.
        static DicomElement Uid(DicomTag tag, string value) => new(tag, DicomVR.UI, DicomBuffer.From(Encoding.ASCII.GetBytes(value)));
        var meta = new DicomDataset()
            .SetBytes(DicomTags.FileMetaInformationVersion, DicomVR.OB, DicomBuffer.From(new byte[] { 0, 1 }))
            .AddOrUpdate(Uid(DicomTags.MediaStorageSOPClassUID, SopClass))
            .AddOrUpdate(Uid(DicomTags.MediaStorageSOPInstanceUID, SopInstance))
            .AddOrUpdate(Uid(DicomTags.TransferSyntaxUID, TransferSyntax))
            .Set(DicomTags.ImplementationClassUID, DicomImplementation.ClassUid)
            .Set(DicomTags.ImplementationVersionName, DicomImplementation.VersionName)
;
        // The calling AE title as the peer sent it, where it is a valid AE value (a hostile one is left out, not fatal).
        if (CallingAE.Length is > 0 and <= 16 && CallingAE.All(c => c is >= ' ' and <= '~' and not '\\'))
            meta.Set(DicomTags.SourceApplicationEntityTitle, CallingAE);
        var body = new MemoryStream();
        new DicomWriter(body, true).WriteDataset(meta);
        var groupLength = new DicomDataset().Set(DicomTags.FileMetaInformationGroupLength, (double)body.Length);
        var header = new MemoryStream();
        header.Write(new byte[128]);
        header.Write("DICM"u8);
        new DicomWriter(header, true).WriteDataset(groupLength, skipGroupLengths: false);
        body.Position = 0;
        body.CopyTo(header);
        s.Write(header.GetBuffer().AsSpan(0, (int)header.Length));
        _hash.AppendData(header.GetBuffer(), 0, (int)header.Length);
    }

    /// <summary>Written on the association's reader thread, as fragments arrive (blocking writes, see <see cref="Association"/>).</summary>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (Failure is not null || _file is null)
            return; // drain: the SCU is still sending; it gets the failure in the response
        try
        {
            _file.Write(buffer);
            _hash.AppendData(buffer);
            _length += buffer.Length;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            Failure = e.Message; // disk full, or discarded under us (the association ended meanwhile)
        }
    }

    /// <summary>Makes the object durable and moves it into place; returns it, or null with <see cref="Failure"/> set.</summary>
    internal const long HandOnSyncThreshold = 8L << 20;

    public ReceivedObject? Complete()
    {
        if (_file is null || Failure is not null)
        {
            Discard();
            return null;
        }
        try
        {
            // Handed on unsynced, a large object would make every other object in the spool's shared commit wait for
            // its write-back (seconds on an SD card): from 8 MiB on it is fsync'd here, on its own association's thread.
            _file.Flush(flushToDisk: _sync || _length >= HandOnSyncThreshold);
            _file.Dispose();
            // Check that what arrived is a readable data set before saying "stored".
            DicomFile.Open(_tempPath);
            var sha = Convert.ToHexStringLower(_hash.GetHashAndReset());
            _hash.Dispose();
            if (!_sync)
            {
                // Handed on as written: the receiver owns the file now (it makes it durable, or removes it).
                Interlocked.Exchange(ref _discarded, 1);
                return new ReceivedObject(_tempPath, SopClass, SopInstance, TransferSyntax, CallingAE, _length) { Sha256 = sha };
            }
            var final = System.IO.Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".dcm");
            File.Move(_tempPath, final);
            Gateway.Shared.DirectoryFsync.Flush(_directory);
            return new ReceivedObject(final, SopClass, SopInstance, TransferSyntax, CallingAE, _length) { Sha256 = sha };
        }
        catch (DicomFormatException e)
        {
            Failure = "the data set cannot be parsed: " + e.Message;
        }
        catch (IOException e)
        {
            Failure = e.Message;
        }
        Discard();
        return null;
    }

    /// <summary>Removes the temporary file (abort, failure).</summary>
    public void Discard()
    {
        if (Interlocked.Exchange(ref _discarded, 1) == 1)
            return;
        try
        {
            _file?.Dispose();
            _hash.Dispose();
            File.Delete(_tempPath);
        }
        catch (IOException)
        {
        }
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _length;
    public override long Position { get => _length; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            Discard();
        base.Dispose(disposing);
    }
}
