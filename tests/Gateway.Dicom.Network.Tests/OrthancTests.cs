using System.Security.Cryptography;
using Gateway.Testing;
using Xunit;

namespace Gateway.Dicom.Network.Tests;

/// <summary>Issue #4 acceptance against Orthanc: what its REST API says it stored.</summary>
public sealed class OrthancTests
{
    [Fact]
    public void Gateway_send_to_Orthanc_stores_every_instance_with_identical_pixel_data()
    {
        using var orthanc = new OrthancPeer();
        var files = Corpus.Uncompressed;
        var r = GatewayExecutable.Run(["send", .. files, "--to", $"127.0.0.1:{orthanc.DicomPort}", "--called", orthanc.AeTitle]);
        Assert.True(r.ExitCode == 0, r.All + orthanc.Output);
        var stored = orthanc.InstancesBySopInstanceUid();
        foreach (var f in files)
        {
            var ds = DicomFile.Open(f).Dataset;
            var uid = ds.GetString(DicomTags.SOPInstanceUID);
            Assert.True(stored.ContainsKey(uid), $"Orthanc does not have {uid}");
            if (!ds.Contains(DicomTags.PixelData))
                continue;
            using var temp = new TempDirectory();
            var copy = temp.File("orthanc.dcm");
            File.WriteAllBytes(copy, orthanc.File(stored[uid]));
            Assert.Equal(SHA256.HashData(Corpus.PixelData(f)), SHA256.HashData(Corpus.PixelData(copy)));
        }
    }

    [Fact]
    public void Orthanc_checking_the_called_AE_rejects_a_wrong_one_with_a_clear_error()
    {
        using var orthanc = new OrthancPeer(checkCalledAe: true);
        var r = GatewayExecutable.Run("send", Corpus.TestFile("CT_small.dcm"), "--to", $"127.0.0.1:{orthanc.DicomPort}", "--called", "NOT-ORTHANC");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("association rejected", r.StdErr);
        Assert.Empty(orthanc.Instances());
    }
}
