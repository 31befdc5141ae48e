using System.Globalization;
using System.Text;

namespace Gateway.Dicom.Tests.Codecs;

/// <summary>Pixel comparisons for lossy codecs (PSNR, largest difference) and PNM files for libjpeg-turbo's cjpeg/djpeg.</summary>
public static class JpegImages
{
    public static double Psnr(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length)
            throw new Xunit.Sdk.XunitException($"PSNR of {a.Length} against {b.Length} samples");
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = a[i] - b[i];
            sum += d * d;
        }
        return sum == 0 ? 99 : 10 * Math.Log10(255.0 * 255.0 * a.Length / sum);
    }

    public static int MaxDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length)
            throw new Xunit.Sdk.XunitException($"comparing {a.Length} with {b.Length} samples");
        var max = 0;
        for (var i = 0; i < a.Length; i++)
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    /// <summary>Writes binary PGM (one sample) or PPM (three, interleaved).</summary>
    public static void WritePnm(string path, ReadOnlySpan<byte> pixels, int width, int height, int samples)
    {
        using var f = File.Create(path);
        f.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{(samples == 3 ? "P6" : "P5")}\n{width} {height}\n255\n")));
        f.Write(pixels);
    }

    /// <summary>Reads the binary PGM/PPM djpeg writes: the samples, and the size in the header.</summary>
    public static (byte[] Pixels, int Width, int Height, int Samples) ReadPnm(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var fields = new List<string>();
        var at = 0;
        while (fields.Count < 4)
        {
            while (char.IsWhiteSpace((char)bytes[at]))
                at++;
            var start = at;
            while (!char.IsWhiteSpace((char)bytes[at]))
                at++;
            fields.Add(Encoding.ASCII.GetString(bytes, start, at - start));
        }
        at++;
        var samples = fields[0] == "P6" ? 3 : 1;
        var w = int.Parse(fields[1], CultureInfo.InvariantCulture);
        var h = int.Parse(fields[2], CultureInfo.InvariantCulture);
        return (bytes[at..(at + w * h * samples)], w, h, samples);
    }

    /// <summary>The compressed bytes of frame <paramref name="index"/> of a file with one fragment per frame (a .jpg).</summary>
    public static byte[] Codestream(DicomFile file, int index = 0)
    {
        var f = (DicomFragmentSequence)file.Dataset.Find(DicomTags.PixelData)!;
        var bytes = f.Fragments[index].Memory.ToArray();
        // A fragment is padded to even length; a JPEG ends at EOI.
        var end = bytes.Length;
        while (end > 2 && !(bytes[end - 2] == 0xFF && bytes[end - 1] == 0xD9))
            end--;
        return bytes[..end];
    }
}
