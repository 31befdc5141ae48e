using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;

namespace Gateway.Dicom;

/// <summary>
/// Creates UIDs unique across boxes and reboots. With the default root "2.25" the UID is the decimal form of a random
/// (version 4) UUID, as PS3.5 §B.2 describes. Under an organisation root, the suffix is as many random bits as fit in
/// 64 characters (at least 80 bits, so collisions stay negligible across a fleet).
/// </summary>
public sealed class DicomUidGenerator
{
    public const string UuidRoot = "2.25";
    private const int MinimumRandomBits = 80;

    private readonly string _root;
    private readonly int _randomBits;

    public DicomUidGenerator(string root = UuidRoot)
    {
        if (DicomUid.Validate(root) is { } problem)
            throw new ArgumentException($"UID root '{root}': {problem}", nameof(root));
        _root = root;
        if (root == UuidRoot)
        {
            _randomBits = 0;
            return;
        }
        var digits = 64 - root.Length - 1;
        // Random values have at most `digits` decimal digits: bits = floor(digits * log2(10)).
        _randomBits = Math.Min(128, (int)Math.Floor((digits - 1) * Math.Log2(10)));
        if (_randomBits < MinimumRandomBits)
            throw new ArgumentException($"UID root '{root}' is too long: it leaves room for only {_randomBits} random bits, at least {MinimumRandomBits} are needed", nameof(root));
    }

    public static DicomUidGenerator Default { get; } = new();

    public string Root => _root;

    public string NewUid()
    {
        if (_randomBits == 0)
        {
            var uuid = Guid.NewGuid();
            Span<byte> b = stackalloc byte[16];
            uuid.TryWriteBytes(b, bigEndian: true, out _);
            var value = new BigInteger(b, isUnsigned: true, isBigEndian: true);
            return UuidRoot + "." + value.ToString(CultureInfo.InvariantCulture);
        }
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        var v = new BigInteger(bytes, isUnsigned: true, isBigEndian: true) >> (128 - _randomBits);
        // Leading zeros are impossible in a decimal rendering of a number; 0 itself is a valid component.
        return _root + "." + v.ToString(CultureInfo.InvariantCulture);
    }
}
