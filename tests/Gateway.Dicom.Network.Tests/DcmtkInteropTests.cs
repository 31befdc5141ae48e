using System.Globalization;
using Gateway.Testing;
using Xunit;

namespace Gateway.Dicom.Network.Tests;

/// <summary>Issue #4 acceptance against dcmtk on loopback, through the real `gateway` executable.</summary>
public sealed class DcmtkInteropTests
{
    [Fact]
    public void Gateway_echo_reaches_storescp()
    {
        using var scp = new DcmtkStoreScp();
        var r = GatewayExecutable.Run("echo", "--to", $"127.0.0.1:{scp.Port}", "--called", scp.AeTitle);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("0000 (success)", r.StdOut);
    }

    [Fact]
    public void Gateway_send_stores_every_object_in_storescp_with_its_pixel_data()
    {
        using var scp = new DcmtkStoreScp();
        var r = GatewayExecutable.Run(["send", .. Corpus.Uncompressed, "--to", $"127.0.0.1:{scp.Port}", "--called", scp.AeTitle, "--calling", "GWTEST"]);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains($"{Corpus.Uncompressed.Count} of {Corpus.Uncompressed.Count} stored", r.StdOut);
        var received = scp.ReceivedFiles.ToDictionary(f => DicomFile.Open(f).Dataset.GetString(DicomTags.SOPInstanceUID));
        foreach (var source in Corpus.Uncompressed)
        {
            var uid = DicomFile.Open(source).Dataset.GetString(DicomTags.SOPInstanceUID);
            Assert.True(received.ContainsKey(uid), $"{uid} not received by storescp");
            if (DicomFile.Open(source).Dataset.Contains(DicomTags.PixelData))
                Assert.Equal(Corpus.PixelData(source), Corpus.PixelData(received[uid]));
        }
    }

    [Fact]
    public void A_SOP_class_the_peer_does_not_support_fails_that_object_only_with_exit_1()
    {
        using var scp = new DcmtkStoreScp();
        using var temp = new TempDirectory();
        var odd = Corpus.PrivateSopClass(temp.Path);
        var r = GatewayExecutable.Run("send", Corpus.TestFile("CT_small.dcm"), odd, "--to", $"127.0.0.1:{scp.Port}", "--called", scp.AeTitle);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("not sent: SOP class 1.2.826.0.1.3680043.10.999.1: the peer rejected its presentation context: SOP class not supported", r.StdOut);
        Assert.Contains("1 of 2 stored", r.StdOut);
        Assert.Single(scp.ReceivedFiles);
    }

    [Fact]
    public void Storescu_and_echoscu_reach_gateway_store_scp_and_data_sets_arrive_byte_identical()
    {
        using var output = new TempDirectory();
        var port = FreePort.Get();
        using var scp = new PeerProcess(GatewayExecutable.Path,
            ["store-scp", "--port", port.ToString(CultureInfo.InvariantCulture), "--aet", "GWSCP", "--out", output.Path, "--bind", "127.0.0.1"]);
        scp.WaitForOutput("listening", TimeSpan.FromSeconds(20));

        var echo = ProcessRunner.Run(Peers.Require("echoscu", "dcmtk"), ["-aec", "GWSCP", "127.0.0.1", port.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(echo.ExitCode == 0, echo.All);

        var files = new[] { Corpus.TestFile("CT_small.dcm"), Corpus.TestFile("MR_small.dcm") };
        var store = ProcessRunner.Run(Peers.Require("storescu", "dcmtk"), ["-aec", "GWSCP", "127.0.0.1", port.ToString(CultureInfo.InvariantCulture), .. files]);
        Assert.True(store.ExitCode == 0, store.All);
        scp.WaitForOutput("MR Image Storage", TimeSpan.FromSeconds(10));

        var received = Directory.GetFiles(output.Path, "*.dcm").ToDictionary(f => DicomFile.Open(f).Dataset.GetString(DicomTags.SOPInstanceUID));
        foreach (var f in files)
        {
            var uid = DicomFile.Open(f).Dataset.GetString(DicomTags.SOPInstanceUID);
            Assert.Equal(Corpus.DatasetBytesAsStorescuSends(f), Corpus.DatasetBytes(received[uid]));
            // File names come from us, never from the received UIDs.
            Assert.DoesNotContain(uid, Path.GetFileName(received[uid]));
        }
        Assert.Empty(Directory.GetFiles(Path.Combine(output.Path, ".incoming")));
    }

    [Fact]
    public void Gateway_store_scp_rejects_unknown_called_and_unlisted_calling_AE_titles()
    {
        using var output = new TempDirectory();
        var port = FreePort.Get().ToString(CultureInfo.InvariantCulture);
        using var scp = new PeerProcess(GatewayExecutable.Path,
            ["store-scp", "--port", port, "--aet", "GWSCP", "--out", output.Path, "--bind", "127.0.0.1", "--allow", "MODALITY1"]);
        scp.WaitForOutput("listening", TimeSpan.FromSeconds(20));

        var wrongCalled = GatewayExecutable.Run("echo", "--to", $"127.0.0.1:{port}", "--called", "NOTME", "--calling", "MODALITY1");
        Assert.Equal(1, wrongCalled.ExitCode);
        Assert.Contains("rejected (permanent): called AE title not recognized", wrongCalled.StdErr);

        var wrongCalling = GatewayExecutable.Run("echo", "--to", $"127.0.0.1:{port}", "--called", "GWSCP", "--calling", "STRANGER");
        Assert.Equal(1, wrongCalling.ExitCode);
        Assert.Contains("rejected (permanent): calling AE title not recognized", wrongCalling.StdErr);

        var allowed = GatewayExecutable.Run("echo", "--to", $"127.0.0.1:{port}", "--called", "GWSCP", "--calling", "MODALITY1");
        Assert.Equal(0, allowed.ExitCode);
    }

    [Fact]
    public void Connection_refused_and_bad_arguments_are_distinct_errors()
    {
        var refused = GatewayExecutable.Run("echo", "--to", $"127.0.0.1:{FreePort.Get()}", "--called", "X");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("connection refused", refused.StdErr);

        var badPort = GatewayExecutable.Run("echo", "--to", "127.0.0.1:70000", "--called", "X");
        Assert.Equal(2, badPort.ExitCode);
        Assert.Contains("--to '127.0.0.1:70000' is not HOST:PORT", badPort.StdErr);

        var badAe = GatewayExecutable.Run("echo", "--to", "127.0.0.1:104", "--called", "THIS-AE-TITLE-IS-TOO-LONG");
        Assert.Equal(2, badAe.ExitCode);
        Assert.Contains("is not an AE title", badAe.StdErr);
    }
}
