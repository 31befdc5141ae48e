using System.Globalization;

namespace Gateway.Dicom;

/// <summary>Value Multiplicity as PS3.6 writes it: "1", "1-3", "1-n", "2-2n" (PS3.5 §6.4).</summary>
public readonly record struct DicomVM(int Minimum, int Maximum, int Step)
{
    public const int Unbounded = int.MaxValue;

    public static readonly DicomVM One = new(1, 1, 1);

    public bool IsMultiple => Maximum > 1;

    public bool Allows(int count) =>
        count >= Minimum && count <= Maximum && (Step <= 1 || count % Step == 0);

    public static DicomVM Parse(string text)
    {
        if (string.IsNullOrEmpty(text))
            return One;
        var parts = text.Split('-');
        var min = int.Parse(parts[0], CultureInfo.InvariantCulture);
        if (parts.Length == 1)
            return new DicomVM(min, min, 1);
        var hi = parts[1];
        if (hi.EndsWith('n'))
        {
            var step = hi.Length > 1 ? int.Parse(hi[..^1], CultureInfo.InvariantCulture) : 1;
            return new DicomVM(min, Unbounded, step);
        }
        return new DicomVM(min, int.Parse(hi, CultureInfo.InvariantCulture), 1);
    }

    public override string ToString() =>
        Maximum == Unbounded ? (Step > 1 ? $"{Minimum}-{Step}n" : $"{Minimum}-n")
        : Minimum == Maximum ? Minimum.ToString(CultureInfo.InvariantCulture) : $"{Minimum}-{Maximum}";
}
