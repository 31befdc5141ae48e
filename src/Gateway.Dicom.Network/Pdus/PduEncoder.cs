using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Gateway.Dicom.Network;

/// <summary>Encodes whole PDUs, header included (PS3.8 §9.3).</summary>
public static class PduEncoder
{
    public static byte[] AssociateRequest(AssociateRequest rq)
    {
        var w = new ArrayBufferWriter<byte>(512);
        AssociateHeader(w, rq.ProtocolVersion, rq.CalledAE, rq.CallingAE);
        Item(w, 0x10, Ascii(rq.ApplicationContext));
        foreach (var pc in rq.Contexts)
        {
            var sub = new ArrayBufferWriter<byte>(128);
            sub.Write<byte>([pc.Id, 0, 0, 0]);
            Item(sub, 0x30, Ascii(pc.AbstractSyntax));
            foreach (var ts in pc.TransferSyntaxes)
                Item(sub, 0x40, Ascii(ts));
            Item(w, 0x20, sub.WrittenSpan);
        }
        Item(w, 0x50, UserInformation(rq.User));
        return Pdu(PduType.AssociateRequest, w.WrittenSpan);
    }

    public static byte[] AssociateAccept(AssociateAccept ac)
    {
        var w = new ArrayBufferWriter<byte>(512);
        AssociateHeader(w, ac.ProtocolVersion, ac.CalledAE, ac.CallingAE);
        Item(w, 0x10, Ascii(ac.ApplicationContext));
        foreach (var pc in ac.Contexts)
        {
            var sub = new ArrayBufferWriter<byte>(64);
            sub.Write<byte>([pc.Id, 0, (byte)pc.Result, 0]);
            // The transfer syntax sub-item is present but not significant when the context is not accepted (PS3.8 §9.3.3.2).
            Item(sub, 0x40, Ascii(pc.TransferSyntax));
            Item(w, 0x21, sub.WrittenSpan);
        }
        Item(w, 0x50, UserInformation(ac.User));
        return Pdu(PduType.AssociateAccept, w.WrittenSpan);
    }

    public static byte[] AssociateReject(AssociateReject rj) =>
        Pdu(PduType.AssociateReject, [0, (byte)rj.Result, (byte)rj.Source, rj.Reason]);

    public static byte[] ReleaseRequest() => Pdu(PduType.ReleaseRequest, [0, 0, 0, 0]);

    public static byte[] ReleaseResponse() => Pdu(PduType.ReleaseResponse, [0, 0, 0, 0]);

    public static byte[] Abort(AbortSource source, AbortReason reason) =>
        Pdu(PduType.Abort, [0, 0, (byte)source, (byte)reason]);

    /// <summary>Writes a PDU header (type, reserved, 32-bit big-endian length) into 6 bytes.</summary>
    public static void Header(Span<byte> destination, PduType type, uint length)
    {
        destination[0] = (byte)type;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], length);
    }

    /// <summary>Writes a PDV item header (32-bit length including the 2 header bytes, context, control) into 6 bytes.</summary>
    public static void PdvHeader(Span<byte> destination, int dataLength, byte contextId, bool command, bool last)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)dataLength + 2);
        destination[4] = contextId;
        destination[5] = (byte)((command ? 1 : 0) | (last ? 2 : 0));
    }

    private static byte[] Pdu(PduType type, ReadOnlySpan<byte> body)
    {
        var pdu = new byte[6 + body.Length];
        Header(pdu, type, (uint)body.Length);
        body.CopyTo(pdu.AsSpan(6));
        return pdu;
    }

    private static void AssociateHeader(ArrayBufferWriter<byte> w, ushort version, string called, string calling)
    {
        var fixedFields = new byte[68];
        BinaryPrimitives.WriteUInt16BigEndian(fixedFields, version);
        AeTitle(called).CopyTo(fixedFields, 4);
        AeTitle(calling).CopyTo(fixedFields, 20);
        w.Write(fixedFields);
    }

    private static byte[] AeTitle(string ae)
    {
        if (ae.Length > 16)
            throw new ArgumentException($"AE title '{ae}' is longer than 16 characters", nameof(ae));
        return Encoding.ASCII.GetBytes(ae.PadRight(16));
    }

    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    private static void Item(ArrayBufferWriter<byte> w, byte type, ReadOnlySpan<byte> value)
    {
        if (value.Length > ushort.MaxValue)
            throw new ArgumentException($"item 0x{type:X2} is {value.Length} bytes, more than an item can hold");
        var header = w.GetSpan(4);
        header[0] = type;
        header[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)value.Length);
        w.Advance(4);
        w.Write(value);
    }

    private static byte[] UserInformation(UserInformation u)
    {
        var w = new ArrayBufferWriter<byte>(128);
        var max = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(max, u.MaxPduLength);
        Item(w, 0x51, max);
        if (u.ImplementationClassUid is { } uid)
            Item(w, 0x52, Ascii(uid));
        if (u.AsyncOperations is { } a)
        {
            var v = new byte[4];
            BinaryPrimitives.WriteUInt16BigEndian(v, a.Invoked);
            BinaryPrimitives.WriteUInt16BigEndian(v.AsSpan(2), a.Performed);
            Item(w, 0x53, v);
        }
        foreach (var r in u.Roles)
        {
            var uidBytes = Ascii(r.SopClassUid);
            var v = new byte[uidBytes.Length + 4];
            BinaryPrimitives.WriteUInt16BigEndian(v, (ushort)uidBytes.Length);
            uidBytes.CopyTo(v, 2);
            v[^2] = r.ScuRole ? (byte)1 : (byte)0;
            v[^1] = r.ScpRole ? (byte)1 : (byte)0;
            Item(w, 0x54, v);
        }
        if (u.ImplementationVersionName is { } name)
            Item(w, 0x55, Ascii(name));
        if (u.Identity is { } id)
        {
            var v = new byte[6 + id.Primary.Length + id.Secondary.Length];
            v[0] = id.Type;
            v[1] = id.PositiveResponseRequested ? (byte)1 : (byte)0;
            BinaryPrimitives.WriteUInt16BigEndian(v.AsSpan(2), (ushort)id.Primary.Length);
            id.Primary.CopyTo(v, 4);
            BinaryPrimitives.WriteUInt16BigEndian(v.AsSpan(4 + id.Primary.Length), (ushort)id.Secondary.Length);
            id.Secondary.CopyTo(v, 6 + id.Primary.Length);
            Item(w, 0x58, v);
        }
        if (u.IdentityResponse is { } response)
        {
            var v = new byte[2 + response.Length];
            BinaryPrimitives.WriteUInt16BigEndian(v, (ushort)response.Length);
            response.CopyTo(v, 2);
            Item(w, 0x59, v);
        }
        foreach (var (type, value) in u.Other)
            Item(w, type, value);
        return w.WrittenSpan.ToArray();
    }
}
