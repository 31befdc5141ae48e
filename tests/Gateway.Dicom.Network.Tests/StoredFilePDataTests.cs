using System.Net;
using System.Net.Sockets;
using Gateway.Testing;
using Xunit;

namespace Gateway.Dicom.Network.Tests;

/// <summary>
/// Issue #16: a stored file's data set goes from the page cache into the payload slots of the PDU batch and from there
/// to the socket (PDataWriteStream.CopyFrom). What the peer reads must be whole PDUs: each within the peer's maximum,
/// one PDV each and every one full but the last, the last flag on the last only, the payload the file's data set byte
/// for byte. A file that shrinks while it is sent is aborted, the stream still framed: the peer reads an A-ABORT and
/// never a last fragment.
/// </summary>
[Collection("hostile")] // large files and socket buffers: not beside the memory-bounded fuzz test
public sealed class StoredFilePDataTests
{
    private static DicomClientOptions Options(int port) => new()
    {
        Host = "127.0.0.1", Port = port, CalledAE = "FAKE",
        AssociationTimeout = TimeSpan.FromSeconds(20), DimseTimeout = TimeSpan.FromSeconds(20), ArtimTimeout = TimeSpan.FromSeconds(1),
    };

    private static List<PresentationContextProposal> Contexts => PresentationContextPlanner.Plan([(DicomUids.CTImageStorage, DicomUids.ExplicitVRLittleEndian)]);

    /// <summary>A CT object with <paramref name="pixelBytes"/> of seeded random pixel data; returns its data set bytes as stored.</summary>
    private static byte[] Write(string path, int pixelBytes)
    {
        var pixels = new byte[pixelBytes];
        new Random(16).NextBytes(pixels);
        var ds = new DicomDataset();
        ds.Set(DicomTags.SOPClassUID, DicomUids.CTImageStorage);
        ds.Set(DicomTags.SOPInstanceUID, "1.2.826.0.1.3680043.10.99.16");
        ds.SetBytes(DicomTags.PixelData, DicomVR.OB, DicomBuffer.From(pixels));
        new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Save(path);
        var offset = DicomFile.OpenHeader(path).DatasetOffset;
        return File.ReadAllBytes(path)[(int)offset..];
    }

    /// <summary>The acceptor half of an association on one connection; <paramref name="data"/> gets each data PDU whole.</summary>
    private static (int Port, Task Done) Peer(uint maxPdu, Func<NetworkStream, byte[], Task<bool>> data)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var done = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            listener.Stop();
            await using var s = client.GetStream();
            var rq = PduParser.ParseAssociateRequest((await ReadPdu(s)).AsSpan(6));
            await s.WriteAsync(PduEncoder.AssociateAccept(new AssociateAccept(rq.CalledAE, rq.CallingAE,
                [.. rq.Contexts.Select(c => new PresentationContextAnswer(c.Id, PresentationContextResult.Acceptance, c.TransferSyntaxes[0]))],
                new UserInformation { MaxPduLength = maxPdu })));
            while (await data(s, await ReadPdu(s)))
            {
            }
        });
        return (port, done);
    }

    private static async Task<byte[]> ReadPdu(NetworkStream s)
    {
        var header = new byte[6];
        await s.ReadExactlyAsync(header);
        var body = new byte[(header[2] << 24) | (header[3] << 16) | (header[4] << 8) | header[5]];
        await s.ReadExactlyAsync(body);
        return [.. header, .. body];
    }

    [Theory]
    [InlineData(16384u, 3 * 1024 * 1024 + 4097)] // dcmtk's default maximum; an odd size leaves a short last PDU
    [InlineData(16384u, 16384 * 4)]              // a data set that ends on a PDU boundary
    [InlineData(1048576u, 5 * 1024 * 1024 + 1)]  // a peer with 1 MiB PDUs
    public async Task A_stored_file_arrives_in_PDUs_within_the_peer_maximum_with_its_data_set_byte_identical(uint maxPdu, int pixelBytes)
    {
        using var temp = new TempDirectory("stored-pdata");
        var path = temp.File("ct.dcm");
        var expected = Write(path, pixelBytes);
        var received = new MemoryStream();
        var pdus = 0;
        var lastSeen = false;
        var (port, done) = Peer(maxPdu, async (s, pdu) =>
        {
            if (pdu[0] == 0x05) // A-RELEASE-RQ
            {
                await s.WriteAsync(PduEncoder.ReleaseResponse());
                return false;
            }
            Assert.Equal(0x04, pdu[0]);
            Assert.True(pdu.Length - 6 <= maxPdu, $"a PDU of {pdu.Length - 6} bytes, the maximum is {maxPdu}");
            var pdvLength = (pdu[6] << 24) | (pdu[7] << 16) | (pdu[8] << 8) | pdu[9];
            Assert.Equal(pdu.Length - 10, pdvLength); // one PDV filling the PDU
            var control = pdu[11];
            if ((control & 1) != 0)
                return true; // the command
            Assert.False(lastSeen, "data after the last fragment");
            Assert.True(pdvLength > 2, "an empty data PDV");
            lastSeen = (control & 2) != 0;
            received.Write(pdu, 12, pdu.Length - 12);
            pdus++;
            if (lastSeen)
            {
                var response = DimseCommand.StoreResponse(1, DicomUids.CTImageStorage, "1.2.826.0.1.3680043.10.99.16", DicomStatus.Success).Encode();
                await s.WriteAsync(RawPeer.PData(pdu[10], true, true, response));
            }
            return true;
        });
        await using (var association = await DicomClient.OpenAsync(Options(port), Contexts))
        {
            var result = await association.StoreAsync(path);
            Assert.True(result.IsSuccess, result.ToString());
        }
        await done.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(lastSeen);
        Assert.Equal((expected.Length + (int)maxPdu - 7) / ((int)maxPdu - 6), pdus); // every PDU full but the last
        Assert.True(expected.AsSpan().SequenceEqual(received.ToArray()), "the data set on the wire is not the file's");
    }

    [Fact]
    public async Task A_file_that_shrinks_while_it_is_sent_is_aborted_and_the_peer_never_gets_a_last_fragment()
    {
        using var temp = new TempDirectory("stored-pdata-shrink");
        var path = temp.File("big.dcm");
        // 48 MiB of pixel data from a sparse file, streamed: no large allocation in this process.
        var raw = temp.File("pixels.raw");
        using (var f = new FileStream(raw, FileMode.Create))
            f.SetLength(48 << 20);
        var ds = new DicomDataset();
        ds.Set(DicomTags.SOPClassUID, DicomUids.CTImageStorage);
        ds.Set(DicomTags.SOPInstanceUID, "1.2.826.0.1.3680043.10.99.17");
        ds.SetBytes(DicomTags.PixelData, DicomVR.OB, DicomBuffer.FromFile(raw, 0, 48 << 20));
        new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Save(path);
        var firstData = new TaskCompletionSource();
        var resume = new TaskCompletionSource();
        var lastSeen = false;
        var types = new List<byte>();
        var (port, done) = Peer(16384, async (s, pdu) =>
        {
            types.Add(pdu[0]);
            if (pdu[0] != 0x04)
                return false;
            if ((pdu[11] & 1) == 0)
            {
                lastSeen |= (pdu[11] & 2) != 0;
                if (firstData.TrySetResult())
                    await resume.Task; // reads nothing until the file is cut: the sender waits on full socket buffers
            }
            return true;
        });
        var association = await DicomClient.OpenAsync(Options(port), Contexts);
        // On a thread of its own: the data set is written with blocking sends, which wait here for the paused peer.
        var store = Task.Run(() => association.StoreAsync(path));
        await firstData.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await Task.Delay(200); // the sender fills the socket buffers and blocks
        using (var cut = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
            cut.SetLength(16 << 20); // well past what the socket buffers hold, well before the end
        resume.SetResult();
        var e = await Assert.ThrowsAnyAsync<IOException>(() => store);
        Assert.Contains("ended", e.Message);
        await association.DisposeAsync();
        await done.WaitAsync(TimeSpan.FromSeconds(20)); // every PDU read whole: the stream stayed framed
        Assert.False(lastSeen);
        Assert.Equal(0x07, types[^1]); // A-ABORT
    }
}
