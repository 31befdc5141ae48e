using System.Text;
using Gateway.Dicom;
using Gateway.Testing;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>
/// Issue #13 item 9: an object whose SOP Class/Instance UID is encoded with VR UN (legal, PS3.5 §6.2.2; gdcmconv writes
/// such files) was proposed with the value's bytes printed as numbers, and `send` ended mid-batch.
/// </summary>
public sealed class UnEncodedUidTests
{
    private static string Write(string dir, string name, string sopClass, string sopInstance, bool asUn)
    {
        var ds = new DicomDataset();
        DicomElement Uid(DicomTag tag, string uid) =>
            new(tag, asUn ? DicomVR.UN : DicomVR.UI, DicomBuffer.From(Encoding.ASCII.GetBytes(uid.Length % 2 == 1 ? uid + "\0" : uid)));
        ds.AddOrUpdate(Uid(DicomTags.SOPClassUID, sopClass));
        ds.AddOrUpdate(Uid(DicomTags.SOPInstanceUID, sopInstance));
        ds.Set(DicomTags.PatientID, "UN-1");
        ds.Set(DicomTags.Modality, "OT");
        var path = Path.Combine(dir, name);
        new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Save(path);
        return path;
    }

    [Fact]
    public void Uids_encoded_as_UN_are_read_as_the_dictionary_says()
    {
        using var dir = new TempDirectory("un-read");
        var path = Write(dir.Path, "un.dcm", DicomUids.SecondaryCaptureImageStorage, "1.2.826.0.1.3680043.10.99.1", asUn: true);
        var ds = DicomFile.Open(path).Dataset;
        Assert.Equal(DicomUids.SecondaryCaptureImageStorage, ds.GetString(DicomTags.SOPClassUID));
        Assert.Equal(DicomVR.UI, ((DicomElement)ds.Find(DicomTags.SOPClassUID)!).VR);
        // pydicom's file written by gdcmconv: its RT Dose UIDs.
        Peers.RequirePydicom();
        var rtdose = DicomFile.OpenHeader(Path.Combine(Peers.PydicomData, "test_files", "rtdose_rle.dcm"));
        Assert.Equal("1.2.840.10008.5.1.4.1.1.481.2", rtdose.Dataset.GetString(DicomTags.SOPClassUID));
    }

    [Fact]
    public void Send_stores_the_UN_encoded_object_under_its_sop_class_and_one_bad_object_never_ends_the_batch()
    {
        using var dir = new TempDirectory("un-send");
        // Our own storage SCP as the permissive one (storescp answers C000 to a data set whose UIDs are UN: its choice).
        var port = FreePort.Get();
        var received = Directory.CreateDirectory(Path.Combine(dir.Path, "received")).FullName;
        var objects = Directory.CreateDirectory(Path.Combine(dir.Path, "objects")).FullName;
        using var scp = new PeerProcess(GatewayExecutable.Path, ["store-scp", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--aet", "GWSCP", "--out", received]);
        scp.WaitForOutput("listening", TimeSpan.FromSeconds(20));
        Write(objects, "a.dcm", DicomUids.SecondaryCaptureImageStorage, "1.2.826.0.1.3680043.10.99.2", asUn: true);
        // A garbled SOP Class UID (our writer refuses to write one, so the bytes are changed afterwards, in place).
        var bad = Write(objects, "b.dcm", DicomUids.SecondaryCaptureImageStorage, "1.2.826.0.1.3680043.10.99.3", asUn: false);
        File.WriteAllBytes(bad, Replace(File.ReadAllBytes(bad), "1.2.840.10008.5.1.4.1.1.7\0"u8, "1.2.840.10008.5.1.4.1.1.X\0"u8));
        Write(objects, "c.dcm", DicomUids.SecondaryCaptureImageStorage, "1.2.826.0.1.3680043.10.99.4", asUn: false);
        var send = GatewayExecutable.Run("send", objects, "--to", $"127.0.0.1:{port}", "--called", "GWSCP");
        Assert.Equal(1, send.ExitCode);
        Assert.Contains("b.dcm: not sent: its SOP Class UID '1.2.840.10008.5.1.4.1.1.X' is not a valid UID", send.StdErr);
        Assert.True(send.StdOut.Contains("2 of 3 stored", StringComparison.Ordinal), send.StdOut + send.StdErr);
        var stored = Directory.GetFiles(received, "*.dcm").Select(f => DicomFile.Open(f).Dataset).ToList();
        Assert.Equal(["1.2.826.0.1.3680043.10.99.2", "1.2.826.0.1.3680043.10.99.4"], stored.Select(d => d.GetString(DicomTags.SOPInstanceUID)).Order(StringComparer.Ordinal));
        Assert.All(stored, d => Assert.Equal(DicomUids.SecondaryCaptureImageStorage, d.GetString(DicomTags.SOPClassUID)));
    }

    private static byte[] Replace(byte[] data, ReadOnlySpan<byte> from, ReadOnlySpan<byte> to)
    {
        for (var i = data.AsSpan().IndexOf(from); i >= 0; i = data.AsSpan().IndexOf(from))
            to.CopyTo(data.AsSpan(i));
        return data;
    }
}
