using System.Globalization;
using Gateway.Dicom;

namespace Gateway.Hardware.Framing;

/// <summary>
/// A device's number × the profile's scale, as the text of a DICOM value (issue #13 item 2). The product is computed
/// in decimal, not binary floating point (856 × 0.1 is 85.6, never 85.60000000000001), and written as the shortest
/// decimal that is exactly the product. For a DS keyword (at most 16 characters, PS3.5 Table 6.2-1) a longer product
/// is rounded to the most decimals that fit; for IS an integral product is written without decimals. A value that
/// still breaks its VR (a fraction for IS, a number too large) is refused later by the data set and left out of the
/// object with a log line — the image is stored all the same.
/// </summary>
public static class ScaledValue
{
    public static string Format(decimal raw, double scale, string keyword)
    {
        decimal product;
        try
        {
            product = raw * ToDecimal(scale);
        }
        catch (OverflowException)
        {
            // Beyond decimal's 28 digits: no DICOM number VR holds it either; the data set refuses it and says so.
            return ((double)raw * scale).ToString("R", CultureInfo.InvariantCulture);
        }
        var vr = DicomDictionary.Find(keyword)?.VR;
        var text = Shortest(product);
        if (vr == DicomVR.DS && text.Length > 16)
        {
            for (var decimals = 15; decimals >= 0; decimals--)
            {
                var rounded = Shortest(Math.Round(product, decimals, MidpointRounding.AwayFromZero));
                if (rounded.Length <= 16)
                    return rounded;
            }
        }
        return text;
    }

    /// <summary>
    /// A header field's value × scale: integers exactly; f32 as the shortest decimal that reads back as the same float.
    /// A float the decimal type cannot hold (NaN, infinities, beyond ±7.9e28) comes out as the binary product's text,
    /// which every DICOM number VR refuses: the value is left out, the frame is stored.
    /// </summary>
    public static string FromHeader(double raw, string type, double scale, string keyword)
    {
        if (type != "f32")
            return Format((decimal)raw, scale, keyword);
        var text = ((float)raw).ToString("R", CultureInfo.InvariantCulture);
        return float.IsFinite((float)raw) && Math.Abs(raw) < 7.9e28
            ? Format(decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture), scale, keyword)
            : (raw * scale).ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>The profile's factor as written in the profile (0.1 is 0.1, not its binary neighbour).</summary>
    private static decimal ToDecimal(double scale) =>
        decimal.Parse(scale.ToString("R", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static string Shortest(decimal d) =>
        (d == 0 ? 0m : d).ToString("0.############################", CultureInfo.InvariantCulture);
}
