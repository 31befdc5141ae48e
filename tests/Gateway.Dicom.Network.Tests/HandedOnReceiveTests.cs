using System.Globalization;
using System.Security.Cryptography;
using Gateway.Testing;
using Xunit;

namespace Gateway.Dicom.Network.Tests;

/// <summary>
/// Issue #22: with <see cref="DicomServerOptions.SyncReceived"/> off the SCP hands the received file on as written (the
/// gateway's spool makes it durable in its own group commit), with the SHA-256 of its bytes computed as they arrived.
/// </summary>
public sealed class HandedOnReceiveTests
{
    [Fact]
    public async Task A_received_object_is_handed_on_under_its_temporary_name_with_the_checksum_of_its_bytes()
    {
        using var dir = new TempDirectory();
        var seen = new List<(string Path, string? Sha, string Actual, bool InIncoming)>();
        var server = DicomServer.Start(new DicomServerOptions
        {
            AeTitle = "SCP", Port = 0, OutputDirectory = dir.Path, SyncReceived = false,
            OnStored = (r, _) =>
            {
                lock (seen)
                    seen.Add((r.Path, r.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(r.Path))),
                        Path.GetDirectoryName(r.Path) == Path.Combine(dir.Path, ".incoming")));
                return ValueTask.FromResult(DicomStatus.Success);
            },
        });
        await using (server)
        {
            var files = new[] { Corpus.TestFile("CT_small.dcm"), Corpus.TestFile("MR_small.dcm") };
            var store = ProcessRunner.Run(Peers.Require("storescu", "dcmtk"), ["-aec", "SCP", "127.0.0.1", server.Port.ToString(CultureInfo.InvariantCulture), .. files]);
            Assert.True(store.ExitCode == 0, store.All);
            Assert.Equal(2, seen.Count);
            Assert.All(seen, s => Assert.Equal(s.Actual, s.Sha)); // the hash is of exactly the bytes on disk
            Assert.All(seen, s => Assert.True(s.InIncoming, s.Path));
            // The receiver owns the files now: the SCP neither renamed nor removed them.
            Assert.All(seen, s => Assert.True(File.Exists(s.Path)));
            Assert.Empty(Directory.GetFiles(dir.Path, "*.dcm"));
            var uids = seen.Select(s => DicomFile.Open(s.Path).Dataset.GetString(DicomTags.SOPInstanceUID)).ToHashSet();
            Assert.Equal(files.Select(f => DicomFile.Open(f).Dataset.GetString(DicomTags.SOPInstanceUID)).ToHashSet(), uids);
        }
    }
}
