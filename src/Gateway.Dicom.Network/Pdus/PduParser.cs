using System.Buffers.Binary;
using System.Text;

namespace Gateway.Dicom.Network;

/// <summary>
/// Pure parsing of PDU bodies (the bytes after the 6-byte header), PS3.8 §9.3. Every length is checked against the
/// bytes present; a violation is a <see cref="DicomProtocolException"/> naming the item and offset.
/// </summary>
public static class PduParser
{
    private const int FixedAssociateFields = 68; // version, reserved, called, calling, 32 reserved

    public static AssociateRequest ParseAssociateRequest(ReadOnlySpan<byte> body)
    {
        var (version, called, calling) = ParseAssociateHeader(body, "A-ASSOCIATE-RQ");
        string? context = null;
        var contexts = new List<PresentationContextProposal>();
        var user = new UserInformation();
        foreach (var (type, at, value) in Items(body, FixedAssociateFields, "A-ASSOCIATE-RQ"))
        {
            switch (type)
            {
                case 0x10:
                    context = Text(value);
                    break;
                case 0x20:
                    contexts.Add(ParseProposal(value, at));
                    break;
                case 0x50:
                    user = ParseUserInformation(value, at);
                    break;
                default:
                    break; // unknown items are ignored (PS3.8 §9.3.1)
            }
        }
        if (context is null)
            throw new DicomProtocolException("A-ASSOCIATE-RQ has no application context item", AbortReason.InvalidPduParameterValue);
        return new AssociateRequest(called, calling, contexts, user, context, version);
    }

    public static AssociateAccept ParseAssociateAccept(ReadOnlySpan<byte> body)
    {
        var (version, called, calling) = ParseAssociateHeader(body, "A-ASSOCIATE-AC");
        string? context = null;
        var contexts = new List<PresentationContextAnswer>();
        var user = new UserInformation();
        foreach (var (type, at, value) in Items(body, FixedAssociateFields, "A-ASSOCIATE-AC"))
        {
            switch (type)
            {
                case 0x10:
                    context = Text(value);
                    break;
                case 0x21:
                    contexts.Add(ParseAnswer(value, at));
                    break;
                case 0x50:
                    user = ParseUserInformation(value, at);
                    break;
                default:
                    break;
            }
        }
        return new AssociateAccept(called, calling, contexts, user, context ?? "", version);
    }

    public static AssociateReject ParseAssociateReject(ReadOnlySpan<byte> body)
    {
        Expect(body, 4, "A-ASSOCIATE-RJ");
        if (body[1] is not (1 or 2) || body[2] is < 1 or > 3)
            throw new DicomProtocolException($"A-ASSOCIATE-RJ with result {body[1]} and source {body[2]} is not valid");
        return new AssociateReject((RejectResult)body[1], (RejectSource)body[2], body[3]);
    }

    public static AbortRequest ParseAbort(ReadOnlySpan<byte> body)
    {
        Expect(body, 4, "A-ABORT");
        return new AbortRequest((AbortSource)body[2], (AbortReason)body[3]);
    }

    public static void ParseRelease(ReadOnlySpan<byte> body, string name) => Expect(body, 4, name);

    /// <summary>The PDVs of a P-DATA-TF body (PS3.8 §9.3.5); offsets are into <paramref name="body"/>.</summary>
    public static List<Pdv> ParsePData(ReadOnlySpan<byte> body)
    {
        var pdvs = new List<Pdv>(2);
        var at = 0;
        if (body.Length == 0)
            throw new DicomProtocolException("P-DATA-TF without any PDV");
        while (at < body.Length)
        {
            if (body.Length - at < 6)
                throw new DicomProtocolException($"P-DATA-TF: PDV header at offset {at} is cut short ({body.Length - at} bytes left)");
            var length = BinaryPrimitives.ReadUInt32BigEndian(body[at..]);
            if (length < 2 || length > body.Length - at - 4)
                throw new DicomProtocolException($"P-DATA-TF: PDV at offset {at} declares length {length}, but {body.Length - at - 4} bytes remain");
            var contextId = body[at + 4];
            var control = body[at + 5];
            if ((contextId & 1) == 0)
                throw new DicomProtocolException($"P-DATA-TF: PDV at offset {at} names presentation context {contextId}, which is even");
            if ((control & 0xFC) != 0)
                throw new DicomProtocolException($"P-DATA-TF: PDV at offset {at} has message control header 0x{control:X2}");
            pdvs.Add(new Pdv(contextId, (control & 1) == 1, (control & 2) == 2, at + 6, (int)length - 2));
            at += 4 + (int)length;
        }
        return pdvs;
    }

    private static (ushort Version, string Called, string Calling) ParseAssociateHeader(ReadOnlySpan<byte> body, string name)
    {
        if (body.Length < FixedAssociateFields)
            throw new DicomProtocolException($"{name} is {body.Length} bytes, shorter than its fixed fields ({FixedAssociateFields})");
        var version = BinaryPrimitives.ReadUInt16BigEndian(body);
        return (version, AeTitle(body.Slice(4, 16)), AeTitle(body.Slice(20, 16)));
    }

    private static string AeTitle(ReadOnlySpan<byte> b) => Encoding.ASCII.GetString(b).Trim(' ', '\0');

    private static string Text(ReadOnlySpan<byte> b) => Encoding.ASCII.GetString(b).TrimEnd('\0', ' ');

    private static void Expect(ReadOnlySpan<byte> body, int length, string name)
    {
        if (body.Length != length)
            throw new DicomProtocolException($"{name} has a length of {body.Length}, it must be {length}");
    }

    /// <summary>The items (type, offset, value) of a variable field: type(1) reserved(1) length(2) value.</summary>
    private static List<(byte Type, int At, byte[] Value)> Items(ReadOnlySpan<byte> body, int start, string where)
    {
        var items = new List<(byte, int, byte[])>();
        var at = start;
        while (at < body.Length)
        {
            if (body.Length - at < 4)
                throw new DicomProtocolException($"{where}: item header at offset {at} is cut short");
            var type = body[at];
            var length = BinaryPrimitives.ReadUInt16BigEndian(body[(at + 2)..]);
            if (length > body.Length - at - 4)
                throw new DicomProtocolException($"{where}: item 0x{type:X2} at offset {at} declares length {length}, but {body.Length - at - 4} bytes remain");
            items.Add((type, at, body.Slice(at + 4, length).ToArray()));
            at += 4 + length;
        }
        return items;
    }

    private static PresentationContextProposal ParseProposal(byte[] value, int at)
    {
        if (value.Length < 4)
            throw new DicomProtocolException($"presentation context item at offset {at} is {value.Length} bytes");
        var id = value[0];
        if ((id & 1) == 0)
            throw new DicomProtocolException($"presentation context ID {id} at offset {at} is even");
        string? abstractSyntax = null;
        var syntaxes = new List<string>();
        foreach (var (type, subAt, sub) in Items(value, 4, $"presentation context {id}"))
        {
            if (type == 0x30)
                abstractSyntax = Text(sub);
            else if (type == 0x40)
                syntaxes.Add(Text(sub));
            else
                throw new DicomProtocolException($"presentation context {id}: unexpected sub-item 0x{type:X2} at offset {at + subAt}", AbortReason.UnexpectedPduParameter);
        }
        if (abstractSyntax is null || syntaxes.Count == 0)
            throw new DicomProtocolException($"presentation context {id} needs an abstract syntax and at least one transfer syntax");
        return new PresentationContextProposal(id, abstractSyntax, syntaxes);
    }

    private static PresentationContextAnswer ParseAnswer(byte[] value, int at)
    {
        if (value.Length < 4)
            throw new DicomProtocolException($"presentation context item at offset {at} is {value.Length} bytes");
        var id = value[0];
        var result = value[2];
        if (result > 4)
            throw new DicomProtocolException($"presentation context {id}: result {result} is not defined");
        var syntax = "";
        foreach (var (type, _, sub) in Items(value, 4, $"presentation context {id}"))
        {
            if (type == 0x40)
                syntax = Text(sub);
        }
        return new PresentationContextAnswer(id, (PresentationContextResult)result, syntax);
    }

    private static UserInformation ParseUserInformation(byte[] value, int at)
    {
        var user = new UserInformation();
        var roles = new List<RoleSelection>();
        var other = new List<(byte, byte[])>();
        foreach (var (type, subAt, sub) in Items(value, 0, "user information"))
        {
            switch (type)
            {
                case 0x51:
                    if (sub.Length != 4)
                        throw new DicomProtocolException($"maximum length sub-item at offset {at + subAt} is {sub.Length} bytes, not 4");
                    user = user with { MaxPduLength = BinaryPrimitives.ReadUInt32BigEndian(sub) };
                    break;
                case 0x52:
                    user = user with { ImplementationClassUid = Text(sub) };
                    break;
                case 0x55:
                    user = user with { ImplementationVersionName = Text(sub) };
                    break;
                case 0x53:
                    if (sub.Length != 4)
                        throw new DicomProtocolException($"asynchronous operations window sub-item is {sub.Length} bytes, not 4");
                    user = user with { AsyncOperations = (BinaryPrimitives.ReadUInt16BigEndian(sub), BinaryPrimitives.ReadUInt16BigEndian(sub.AsSpan(2))) };
                    break;
                case 0x54:
                    roles.Add(ParseRole(sub));
                    break;
                case 0x58:
                    user = user with { Identity = ParseIdentity(sub) };
                    break;
                case 0x59:
                    if (sub.Length < 2 || BinaryPrimitives.ReadUInt16BigEndian(sub) != sub.Length - 2)
                        throw new DicomProtocolException("user identity response sub-item has an inconsistent length");
                    user = user with { IdentityResponse = sub[2..] };
                    break;
                default:
                    other.Add((type, sub));
                    break;
            }
        }
        return user with { Roles = roles, Other = other };
    }

    private static RoleSelection ParseRole(byte[] sub)
    {
        if (sub.Length < 4)
            throw new DicomProtocolException("role selection sub-item is too short");
        var n = BinaryPrimitives.ReadUInt16BigEndian(sub);
        if (n + 4 != sub.Length)
            throw new DicomProtocolException($"role selection sub-item: UID length {n} does not fit its {sub.Length} bytes");
        return new RoleSelection(Text(sub.AsSpan(2, n)), sub[n + 2] == 1, sub[n + 3] == 1);
    }

    private static UserIdentity ParseIdentity(byte[] sub)
    {
        if (sub.Length < 4)
            throw new DicomProtocolException("user identity sub-item is too short");
        var primaryLength = BinaryPrimitives.ReadUInt16BigEndian(sub.AsSpan(2));
        if (4 + primaryLength + 2 > sub.Length)
            throw new DicomProtocolException($"user identity: primary field length {primaryLength} does not fit");
        var secondaryLength = BinaryPrimitives.ReadUInt16BigEndian(sub.AsSpan(4 + primaryLength));
        if (4 + primaryLength + 2 + secondaryLength != sub.Length)
            throw new DicomProtocolException($"user identity: secondary field length {secondaryLength} does not fit");
        return new UserIdentity(sub[0], sub[1] == 1, sub[4..(4 + primaryLength)], sub[(6 + primaryLength)..]);
    }
}
