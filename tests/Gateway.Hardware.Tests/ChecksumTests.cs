using System.Globalization;
using Gateway.Hardware.Framing;
using Gateway.Testing;

using Xunit;

namespace Gateway.Hardware.Tests;

public sealed class ChecksumTests
{
    [Theory]
    [InlineData(ChecksumKind.Sum8, 0xDDu)]
    [InlineData(ChecksumKind.Crc16Ccitt, 0x29B1u)]
    [InlineData(ChecksumKind.Crc32, 0xCBF43926u)]
    public void Check_values_of_the_catalogue(ChecksumKind kind, uint expected) =>
        Assert.Equal(expected, Checksum.Compute(kind, "123456789"u8));

    [Fact]
    public void CRCs_agree_with_Python_binascii_and_zlib_on_random_data_fed_in_pieces()
    {
        var python = Peers.RequirePydicom();
        var data = new byte[100_003];
        new Random(7).NextBytes(data);
        using var temp = new TempDirectory("crc");
        var file = temp.File("data.bin");
        File.WriteAllBytes(file, data);
        var r = ProcessRunner.Run(python, ["-c", $"import binascii,zlib;d=open('{file}','rb').read();print(binascii.crc_hqx(d,0xFFFF), zlib.crc32(d), sum(d)%256)"]);
        var expected = r.StdOut.Trim().Split(' ').Select(s => uint.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        foreach (var (kind, value) in new[] { (ChecksumKind.Crc16Ccitt, expected[0]), (ChecksumKind.Crc32, expected[1]), (ChecksumKind.Sum8, expected[2]) })
        {
            var c = new Checksum(kind);
            for (var offset = 0; offset < data.Length; offset += 4093)
                c.Append(data.AsSpan(offset, Math.Min(4093, data.Length - offset)));
            Assert.Equal(value, c.Value);
        }
        Assert.Equal(expected[1], Checksum.Compute(ChecksumKind.Crc32, data));
    }
}
