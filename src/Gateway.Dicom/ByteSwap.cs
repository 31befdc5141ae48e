using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Gateway.Dicom;

internal static class ByteSwap
{
    /// <summary>Reverses each <paramref name="unit"/>-byte word (2, 4 or 8) in place; 1 (or 0) does nothing.</summary>
    public static void InPlace(Span<byte> bytes, int unit)
    {
        switch (unit)
        {
            case 2:
                var s = MemoryMarshal.Cast<byte, ushort>(bytes[..(bytes.Length & ~1)]);
                BinaryPrimitives.ReverseEndianness(s, s);
                break;
            case 4:
                var i = MemoryMarshal.Cast<byte, uint>(bytes[..(bytes.Length & ~3)]);
                BinaryPrimitives.ReverseEndianness(i, i);
                break;
            case 8:
                var l = MemoryMarshal.Cast<byte, ulong>(bytes[..(bytes.Length & ~7)]);
                BinaryPrimitives.ReverseEndianness(l, l);
                break;
        }
    }

    /// <summary>The word size swapped between big and little endian for a VR: AT is two 16-bit words (PS3.5 §7.3).</summary>
    public static int UnitFor(DicomVR vr) => vr == DicomVR.AT ? 2 : vr.IsSwapped ? vr.UnitSize : 1;
}
