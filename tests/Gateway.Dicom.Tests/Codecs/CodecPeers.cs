using Gateway.Testing;

namespace Gateway.Dicom.Tests.Codecs;

/// <summary>The independent codecs the codec tests are judged by: dcmtk's command-line tools and pydicom with GDCM.</summary>
public static class CodecPeers
{
    /// <summary>Runs a dcmtk tool (e.g. dcmdrle IN OUT) and fails with its output when it fails.</summary>
    public static void Dcmtk(string tool, params string[] args)
    {
        var r = ProcessRunner.Run(Peers.Require(tool, "dcmtk"), args, TimeSpan.FromMinutes(2));
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed ({r.ExitCode}): {r.All}");
    }

    /// <summary>pydicom + GDCM's decoding of a file: native little-endian samples, frames in order, samples interleaved.</summary>
    public static byte[] PydicomGdcm(string path)
    {
        var python = Peers.RequirePydicom();
        var script = Path.Combine(AppContext.BaseDirectory, "Scripts", "pixels.py");
        var output = path + ".gdcm.raw";
        var r = ProcessRunner.Run(python, [script, path, output], TimeSpan.FromMinutes(2));
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"pydicom/GDCM could not decode {path}: {r.All}");
        return File.ReadAllBytes(output);
    }

    /// <summary>The tool that decodes a compressed transfer syntax to Explicit VR Little Endian.</summary>
    public static string DecoderFor(DicomTransferSyntax ts) =>
        ts.Equals(DicomTransferSyntax.RleLossless) ? "dcmdrle" : ts.Uid.StartsWith("1.2.840.10008.1.2.4.8", StringComparison.Ordinal) ? "dcmdjpls" : "dcmdjpeg";

    /// <summary>Asserts two sample buffers are equal over <paramref name="length"/> bytes, naming the first difference.</summary>
    public static void AssertSame(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, string what)
    {
        if (actual.Length < expected.Length)
            throw new Xunit.Sdk.XunitException($"{what}: {actual.Length} bytes, expected {expected.Length}");
        var i = expected.CommonPrefixLength(actual[..expected.Length]);
        if (i < expected.Length)
            throw new Xunit.Sdk.XunitException($"{what}: first difference at byte {i}: expected 0x{expected[i]:X2}, got 0x{actual[i]:X2}");
    }
}
