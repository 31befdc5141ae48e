using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Unicode;

namespace Gateway.Spool;

/// <summary>
/// Recovery's fast path (issue #22): reads a state file straight into the index's compact form — no
/// <see cref="SpoolEntry"/>, no <see cref="Delivery"/> records, no strings but the Storage Commitment details — when the
/// file is exactly what the spool writes: one object; every member known, present once and of the kind the spool writes;
/// every value passing <see cref="SpoolEntryValidator"/> with nothing to correct. Anything else — a member unknown,
/// repeated, missing or of another kind, a state written as a number, a value the validator refuses or would correct,
/// text the JSON reader rejects — is not decided here (<see cref="TryRead"/> returns false) and the caller reads the
/// same bytes the full way (<see cref="JsonSerializer"/>, then the validator), so that every problem is found, and
/// worded, exactly as it was before this path existed. Whatever this accepts the full way accepts too, with nothing to
/// correct, and its index item is the same (CompactStateReaderTests compares both on mutated files).
/// </summary>
internal static class CompactStateReader
{
    /// <summary>More deliveries than this in one entry go the full way (nothing sane routes an object to so many).</summary>
    internal const int MaxSlots = 64;

    // Top-level members, as bits of "seen".
    private const int Id = 1, Created = 2, Size = 4, Sha256 = 8, SopClassUid = 16, SopInstanceUid = 32, Modality = 64,
        Source = 128, Deliveries = 256, SourceKey = 512;
    private const int Required = Id | Created | Size | Sha256 | SopClassUid | SopInstanceUid | Modality | Source | Deliveries;

    // Delivery members.
    private const int State = 1, Attempts = 2, NextAttempt = 4, LastError = 8, Transaction = 16, EarlierTransactions = 32,
        CommitRequests = 64, Stored = 128, SentSopInstanceUid = 256;
    private const int DeliveryRequired = State | Attempts | NextAttempt;

    /// <summary>
    /// Destination names seen during one recovery, numbered in the order first met (thread-safe); an index item read by
    /// <see cref="TryRead"/> carries these numbers in its slots' lanes until <see cref="SpoolIndex.Adopt"/> maps them.
    /// </summary>
    internal sealed class Destinations
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, ushort> _keys = new(StringComparer.Ordinal);
        private readonly List<string> _names = [];

        public int Count
        {
            get
            {
                lock (_lock)
                    return _names.Count;
            }
        }

        public string this[ushort key]
        {
            get
            {
                lock (_lock)
                    return _names[key];
            }
        }

        /// <summary>The number of <paramref name="name"/>; false when 65,536 names are numbered already.</summary>
        public bool TryKey(string name, out ushort key)
        {
            lock (_lock)
            {
                if (_keys.TryGetValue(name, out key))
                    return true;
                if (_names.Count > ushort.MaxValue)
                    return false;
                key = (ushort)_names.Count;
                _keys[name] = key;
                _names.Add(name);
                return true;
            }
        }
    }

    /// <summary>One reading thread's buffers: a state file's bytes, the slots being read, recently seen names.</summary>
    internal sealed class Scratch(Destinations destinations)
    {
        public readonly byte[] Buffer = new byte[DurableSpool.MaxStateBytes];
        public readonly SpoolIndex.Slot[] Slots = new SpoolIndex.Slot[MaxSlots];
        public readonly SpoolIndex.Commitment?[] Commitments = new SpoolIndex.Commitment?[MaxSlots];
        public Destinations Destinations { get; } = destinations;
        private readonly (byte[] Utf8, ushort Key)[] _recent = new (byte[], ushort)[16];
        private int _recentCount;

        /// <summary>The number of the destination named by the reader's current property name; false: go the full way.</summary>
        public bool TryKey(ref Utf8JsonReader reader, out ushort key)
        {
            key = 0;
            if (reader.ValueIsEscaped || reader.HasValueSequence)
                return TryKeyOf(reader.GetString(), out key);
            var raw = reader.ValueSpan;
            for (var i = 0; i < _recentCount; i++)
            {
                if (raw.SequenceEqual(_recent[i].Utf8))
                {
                    key = _recent[i].Key;
                    return true;
                }
            }
            if (!Utf8.IsValid(raw) || !TryKeyOf(reader.GetString(), out key))
                return false;
            if (_recentCount < _recent.Length)
                _recent[_recentCount++] = (raw.ToArray(), key);
            return true;
        }

        private bool TryKeyOf(string? name, out ushort key)
        {
            key = 0;
            // The validator's rule ("a delivery has no destination name"): such an entry goes the full way to be refused.
            return !string.IsNullOrWhiteSpace(name) && Destinations.TryKey(name, out key);
        }
    }

    /// <summary>
    /// The index item of the state file <paramref name="json"/> of entry <paramref name="id"/>, its slots' lanes being
    /// <see cref="Destinations"/> numbers; false when the file is not exactly as the spool writes it or not plainly valid
    /// at <paramref name="now"/> (the caller then reads it the full way). Never throws for any content.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> json, string id, DateTimeOffset now, Scratch scratch, [NotNullWhen(true)] out SpoolIndex.Item? item)
    {
        item = null;
        try
        {
            return Read(json, id, now, scratch, out item);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            // Malformed JSON, invalid UTF-8 or a lone surrogate in a string: the full way says what it is.
            item = null;
            return false;
        }
    }

    private static bool Read(ReadOnlySpan<byte> json, string id, DateTimeOffset now, Scratch scratch, out SpoolIndex.Item? item)
    {
        item = null;
        var latest = now + SpoolEntryValidator.MaxRetryDelay;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return false;
        var seen = 0;
        long created = 0, size = 0;
        ulong sopHash = 0;
        var hasSourceKey = false;
        var slots = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var member = TopMember(ref reader);
            if (member == 0 || (seen & member) != 0 || !reader.Read())
                return false; // unknown or repeated
            seen |= member;
            switch (member)
            {
                case Id:
                    if (reader.TokenType != JsonTokenType.String || !reader.ValueTextEquals(id))
                        return false;
                    break;
                case Created:
                    if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var c) || c > latest)
                        return false; // a creation time in the future is said by the full way
                    created = c.UtcTicks;
                    break;
                case Size:
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out size) || size < 0)
                        return false;
                    break;
                case Sha256:
                    if (!IsPlainString(ref reader) || !IsSha256(reader.ValueSpan))
                        return false;
                    break;
                case SopClassUid:
                    if (!IsPlainString(ref reader) || !IsUid(reader.ValueSpan))
                        return false;
                    break;
                case SopInstanceUid:
                    if (!IsPlainString(ref reader) || !IsUid(reader.ValueSpan))
                        return false;
                    sopHash = SpoolIndex.HashUid(reader.ValueSpan);
                    break;
                case Modality or Source:
                    if (reader.TokenType != JsonTokenType.String || !IsValidText(ref reader))
                        return false;
                    break;
                case SourceKey:
                    if (reader.TokenType == JsonTokenType.Null)
                        break;
                    if (reader.TokenType != JsonTokenType.String || !IsValidText(ref reader))
                        return false;
                    hasSourceKey = true;
                    break;
                case Deliveries:
                    if (!ReadDeliveries(ref reader, latest, scratch, out slots))
                        return false;
                    break;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || (seen & Required) != Required || reader.Read())
            return false; // a member missing, or anything after the object (Read throws on other than white space)
        var result = SpoolIndex.Probe(id);
        result.Created = created;
        result.Size = size;
        result.SopHash = sopHash;
        result.HasSourceKey = hasSourceKey;
        result.Slots = scratch.Slots.AsSpan(0, slots).ToArray();
        for (var k = 0; k < slots; k++)
            result.SetCommitment(k, scratch.Commitments[k]);
        item = result;
        return true;
    }

    private static int TopMember(ref Utf8JsonReader r) =>
        r.ValueTextEquals("Id"u8) ? Id
        : r.ValueTextEquals("Created"u8) ? Created
        : r.ValueTextEquals("Size"u8) ? Size
        : r.ValueTextEquals("Sha256"u8) ? Sha256
        : r.ValueTextEquals("SopClassUid"u8) ? SopClassUid
        : r.ValueTextEquals("SopInstanceUid"u8) ? SopInstanceUid
        : r.ValueTextEquals("Modality"u8) ? Modality
        : r.ValueTextEquals("Source"u8) ? Source
        : r.ValueTextEquals("Deliveries"u8) ? Deliveries
        : r.ValueTextEquals("SourceKey"u8) ? SourceKey
        : 0;

    private static int DeliveryMember(ref Utf8JsonReader r) =>
        r.ValueTextEquals("State"u8) ? State
        : r.ValueTextEquals("Attempts"u8) ? Attempts
        : r.ValueTextEquals("NextAttempt"u8) ? NextAttempt
        : r.ValueTextEquals("LastError"u8) ? LastError
        : r.ValueTextEquals("Transaction"u8) ? Transaction
        : r.ValueTextEquals("EarlierTransactions"u8) ? EarlierTransactions
        : r.ValueTextEquals("CommitRequests"u8) ? CommitRequests
        : r.ValueTextEquals("Stored"u8) ? Stored
        : r.ValueTextEquals("SentSopInstanceUid"u8) ? SentSopInstanceUid
        : 0;

    /// <summary>The "Deliveries" object, into <see cref="Scratch.Slots"/> (the reader is at its start).</summary>
    private static bool ReadDeliveries(ref Utf8JsonReader reader, DateTimeOffset latest, Scratch scratch, out int count)
    {
        count = 0;
        if (reader.TokenType != JsonTokenType.StartObject)
            return false; // null: "Deliveries is missing", said by the full way
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (count == MaxSlots || !scratch.TryKey(ref reader, out var key))
                return false;
            for (var k = 0; k < count; k++)
            {
                if (scratch.Slots[k].Lane == key)
                    return false; // the same destination twice
            }
            if (!reader.Read() || !ReadDelivery(ref reader, latest, out var slot, out var commitment))
                return false;
            slot.Lane = key;
            scratch.Slots[count] = slot;
            scratch.Commitments[count] = commitment;
            count++;
        }
        return reader.TokenType == JsonTokenType.EndObject && count > 0; // none: "Deliveries is empty", said by the full way
    }

    /// <summary>One delivery object (the reader is at its start); its commitment details when it awaits commitment.</summary>
    private static bool ReadDelivery(ref Utf8JsonReader reader, DateTimeOffset latest, out SpoolIndex.Slot slot, out SpoolIndex.Commitment? commitment)
    {
        slot = default;
        commitment = null;
        if (reader.TokenType != JsonTokenType.StartObject)
            return false;
        var seen = 0;
        DeliveryState state = default;
        int attempts = 0, commitRequests = 0, stored = 0;
        DateTimeOffset next = default;
        string? transaction = null, sent = null;
        List<string>? earlier = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var member = DeliveryMember(ref reader);
            if (member == 0 || (seen & member) != 0 || !reader.Read())
                return false;
            seen |= member;
            switch (member)
            {
                case State:
                    if (reader.TokenType != JsonTokenType.String || !TryState(ref reader, out state))
                        return false; // a number, or a name in other letters: the full way decides
                    break;
                case Attempts:
                    if (!TryCount(ref reader, out attempts))
                        return false; // above the most: corrected by the full way
                    break;
                case NextAttempt:
                    if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out next))
                        return false;
                    break;
                case LastError:
                    if (reader.TokenType == JsonTokenType.Null)
                        break;
                    if (reader.TokenType != JsonTokenType.String || !IsValidText(ref reader))
                        return false;
                    break;
                case Transaction:
                    if (!TryUidOrNull(ref reader, out transaction))
                        return false;
                    break;
                case SentSopInstanceUid:
                    if (!TryUidOrNull(ref reader, out sent))
                        return false;
                    break;
                case EarlierTransactions:
                    if (!TryUids(ref reader, out earlier))
                        return false;
                    break;
                case CommitRequests:
                    if (!TryCount(ref reader, out commitRequests))
                        return false;
                    break;
                case Stored:
                    if (!TryCount(ref reader, out stored))
                        return false;
                    break;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || (seen & DeliveryRequired) != DeliveryRequired)
            return false;
        if (state is DeliveryState.Pending or DeliveryState.AwaitingCommitment && next > latest)
            return false; // made due now by the full way, which says so
        slot = new SpoolIndex.Slot { State = (byte)state, Attempts = attempts, Next = next.UtcTicks };
        if (state == DeliveryState.AwaitingCommitment)
            commitment = new SpoolIndex.Commitment(transaction, earlier, sent, commitRequests, stored);
        return true;
    }

    /// <summary>The state's name exactly as the spool writes it.</summary>
    private static bool TryState(ref Utf8JsonReader r, out DeliveryState state)
    {
        state = r.ValueTextEquals("Pending"u8) ? DeliveryState.Pending
            : r.ValueTextEquals("Done"u8) ? DeliveryState.Done
            : r.ValueTextEquals("Dead"u8) ? DeliveryState.Dead
            : r.ValueTextEquals("AwaitingCommitment"u8) ? DeliveryState.AwaitingCommitment
            : (DeliveryState)(-1);
        return Enum.IsDefined(state);
    }

    /// <summary>A count the validator takes as it is: 0 to <see cref="SpoolEntryValidator.MaxAttempts"/>.</summary>
    private static bool TryCount(ref Utf8JsonReader r, out int value)
    {
        value = 0;
        return r.TokenType == JsonTokenType.Number && r.TryGetInt32(out value) && value is >= 0 and <= SpoolEntryValidator.MaxAttempts;
    }

    private static bool TryUidOrNull(ref Utf8JsonReader r, out string? uid)
    {
        uid = null;
        if (r.TokenType == JsonTokenType.Null)
            return true;
        if (!IsPlainString(ref r) || !IsUid(r.ValueSpan))
            return false;
        uid = r.GetString();
        return true;
    }

    private static bool TryUids(ref Utf8JsonReader r, out List<string>? uids)
    {
        uids = null;
        if (r.TokenType == JsonTokenType.Null)
            return true;
        if (r.TokenType != JsonTokenType.StartArray)
            return false;
        var list = new List<string>();
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (list.Count == SpoolEntryValidator.MaxEarlierTransactions || !IsPlainString(ref r) || !IsUid(r.ValueSpan))
                return false;
            list.Add(r.GetString()!);
        }
        uids = list;
        return r.TokenType == JsonTokenType.EndArray;
    }

    /// <summary>A string token without escapes, in one piece: its raw bytes are its value.</summary>
    private static bool IsPlainString(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.String && !r.ValueIsEscaped && !r.HasValueSequence;

    /// <summary>
    /// Whether the string token would be read as a string by the full way (which decodes it and refuses invalid UTF-8
    /// and lone surrogates); unescaped text is checked in place, escaped text decoded.
    /// </summary>
    private static bool IsValidText(ref Utf8JsonReader r)
    {
        if (r.ValueIsEscaped || r.HasValueSequence)
            return r.GetString() is not null; // throws on what cannot be decoded
        return Utf8.IsValid(r.ValueSpan);
    }

    /// <summary>64 lower-case hexadecimal digits (the validator's checksum rule).</summary>
    internal static bool IsSha256(ReadOnlySpan<byte> s)
    {
        if (s.Length != 64)
            return false;
        foreach (var b in s)
        {
            if (b is not (>= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f'))
                return false;
        }
        return true;
    }

    /// <summary>
    /// The validator's UID rule on ASCII bytes: 1 to 64 characters, components of digits without leading zeros
    /// (a lone 0 allowed), separated by single dots.
    /// </summary>
    internal static bool IsUid(ReadOnlySpan<byte> s)
    {
        if (s.Length is 0 or > 64)
            return false;
        var start = 0;
        for (var i = 0; i <= s.Length; i++)
        {
            if (i < s.Length && s[i] != '.')
            {
                if (s[i] is < (byte)'0' or > (byte)'9')
                    return false;
                continue;
            }
            var length = i - start;
            if (length == 0 || (length > 1 && s[start] == '0'))
                return false;
            start = i + 1;
        }
        return true;
    }
}
