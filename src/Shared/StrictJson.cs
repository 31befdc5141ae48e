using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Gateway.Shared;

/// <summary>
/// How the gateway reads the files people write (the configuration, device profiles): camelCase keys, comments and
/// trailing commas allowed, unknown keys refused (a typo must not be silently ignored), and every fault reported as
/// "key.path: what is wrong" in plain words — all of them at once: the text is first walked against the shape of
/// <c>T</c>, naming each unknown key (with the keys known there) and each value of the wrong kind. One source file
/// compiled into Gateway.Hardware, Gateway.Configuration and Gateway.Host (and the native front, for `gateway fleet`).
/// <para>
/// The walk follows System.Text.Json's own contract of <c>T</c> (<see cref="JsonTypeInfo"/>: its kind, properties and
/// element types), not reflection over the CLR type, so the keys it knows are exactly the ones the serializer maps, and
/// it works the same with the reflection resolver (<see cref="Read{T}(string, out List{string})"/>) and with a
/// source-generated context (the overloads taking a <see cref="JsonTypeInfo{T}"/>, which Native AOT can compile).
/// </para>
/// </summary>
internal static class StrictJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
    };

    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>
    /// As <see cref="Read{T}(string, out List{string})"/>, then the checks of the file's own rules (<paramref name="validate"/>)
    /// on what was read — also when the only problems were unknown keys — so that every problem is named in one round.
    /// </summary>
    [RequiresUnreferencedCode(ByReflection)]
    [RequiresDynamicCode(ByReflection)]
    public static T? Read<T>(string json, Func<T, IEnumerable<string>> validate, out List<string> problems)
        where T : class =>
        Read(json, Contract<T>(), validate, out problems);

    /// <summary>As <see cref="Read{T}(string, Func{T, IEnumerable{string}}, out List{string})"/>, with the contract given (a source-generated context's, whose options must be <see cref="Options"/>'s).</summary>
    public static T? Read<T>(string json, JsonTypeInfo<T> contract, Func<T, IEnumerable<string>> validate, out List<string> problems)
        where T : class
    {
        var value = Read(json, contract, out problems);
        if (value is not null)
            problems.AddRange(validate(value));
        return value;
    }

    /// <summary>
    /// Reads <typeparamref name="T"/>, listing every problem in <paramref name="problems"/>. When the only problems are
    /// unknown keys the value is still returned (read without them), so that the caller can add its own checks to the
    /// list and say everything at once; with a value of the wrong kind or bad syntax it is null.
    /// </summary>
    [RequiresUnreferencedCode(ByReflection)]
    [RequiresDynamicCode(ByReflection)]
    public static T? Read<T>(string json, out List<string> problems)
        where T : class =>
        Read(json, Contract<T>(), out problems);

    /// <summary>As <see cref="Read{T}(string, out List{string})"/>, with the contract given.</summary>
    public static T? Read<T>(string json, JsonTypeInfo<T> contract, out List<string> problems)
        where T : class
    {
        problems = [];
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            problems.Add(Describe(e));
            return null;
        }
        using (document)
        {
            var wrongKind = new List<string>();
            Walk(document.RootElement, contract, "", problems, wrongKind);
            var unknownOnly = wrongKind.Count == 0;
            problems.AddRange(wrongKind);
            if (!unknownOnly)
                return null;
        }
        try
        {
            // Unknown keys were named by the walk; the value is then read without them (same resolver, same contract).
            var read = problems.Count == 0
                ? contract
                : (JsonTypeInfo<T>)new JsonSerializerOptions(contract.Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip }.GetTypeInfo(typeof(T));
            var value = JsonSerializer.Deserialize(json, read);
            if (value is null)
                problems.Add("the file is empty");
            return value;
        }
        catch (JsonException e)
        {
            // What the walk did not foresee (a number too large for its field, a required member missing …).
            problems.Add(Describe(e));
            return null;
        }
    }

    private static JsonSerializerOptions? _reflected;

    /// <summary>The contract of <typeparamref name="T"/> under <see cref="Options"/>, by reflection (the managed executables).</summary>
    [RequiresUnreferencedCode(ByReflection)]
    [RequiresDynamicCode(ByReflection)]
    private static JsonTypeInfo<T> Contract<T>()
    {
        _reflected ??= new JsonSerializerOptions(Options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        return (JsonTypeInfo<T>)_reflected.GetTypeInfo(typeof(T));
    }

    private const string ByReflection = "reads T's contract by reflection: give a source-generated JsonTypeInfo<T> where the code is trimmed or compiled ahead of time";

    private static string Describe(JsonException e)
    {
        // System.Text.Json names the JSON path of the fault, e.g. "$.destinations[0].port".
        var cut = e.Message.IndexOf(" Path:", StringComparison.Ordinal);
        var message = cut > 0 ? e.Message[..cut] : e.Message;
        var at = e.Path?.TrimStart('$', '.') is { Length: > 0 } p ? p : e.LineNumber is { } line ? $"line {line + 1}" : "(root)";
        return $"{at}: {message}";
    }

    private static string Key(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static void Walk(JsonElement e, JsonTypeInfo contract, string path, List<string> unknown, List<string> wrongKind)
    {
        var type = contract.Type;
        var t = Nullable.GetUnderlyingType(type) ?? type;
        var at = path.Length == 0 ? "(root)" : path;
        if (e.ValueKind == JsonValueKind.Null)
        {
            if (t.IsValueType && Nullable.GetUnderlyingType(type) is null)
                wrongKind.Add($"{at}: must be {Expected(t)}, not null");
            return;
        }
        if (t != type)
            contract = contract.Options.GetTypeInfo(t); // a struct's own contract, not Nullable<T>'s
        if (t == typeof(JsonElement) || t == typeof(object))
            return; // free-form (the exam's attributes): checked where it is used
        if (t == typeof(string))
        {
            if (e.ValueKind != JsonValueKind.String)
                wrongKind.Add($"{at}: must be {Expected(contract)}, not {Kind(e)}");
            return;
        }
        if (t == typeof(bool))
        {
            if (e.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                wrongKind.Add($"{at}: must be true or false, not {Kind(e)}");
            return;
        }
        if (t.IsPrimitive || t == typeof(decimal))
        {
            if (e.ValueKind != JsonValueKind.Number)
                wrongKind.Add($"{at}: must be a number, not {Kind(e)}");
            return;
        }
        switch (contract.Kind)
        {
            case JsonTypeInfoKind.Dictionary when contract.KeyType == typeof(string):
                if (e.ValueKind != JsonValueKind.Object)
                {
                    wrongKind.Add($"{at}: must be {Expected(contract)}, not {Kind(e)}");
                    return;
                }
                var values = contract.Options.GetTypeInfo(contract.ElementType!);
                foreach (var p in e.EnumerateObject())
                    Walk(p.Value, values, Key(path, p.Name), unknown, wrongKind);
                return;
            case JsonTypeInfoKind.Enumerable:
                if (e.ValueKind != JsonValueKind.Array)
                {
                    wrongKind.Add($"{at}: must be {Expected(contract)}, not {Kind(e)}");
                    return;
                }
                var items = contract.Options.GetTypeInfo(contract.ElementType!);
                var i = 0;
                foreach (var item in e.EnumerateArray())
                    Walk(item, items, $"{path}[{i++}]", unknown, wrongKind);
                return;
            case JsonTypeInfoKind.Object:
                break;
            default:
                return; // a value with a converter of its own (none in the files today): the serializer judges it
        }
        if (e.ValueKind != JsonValueKind.Object)
        {
            wrongKind.Add($"{at}: must be {Expected(contract)}, not {Kind(e)}");
            return;
        }
        // The keys the serializer maps and can set (a read-only property is not a key of the file).
        var properties = contract.Properties.Where(p => p.Set is not null).ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject())
        {
            if (!properties.TryGetValue(p.Name, out var property))
                unknown.Add($"{Key(path, p.Name)}: unknown key (known here: {string.Join(", ", properties.Keys.Order(StringComparer.Ordinal))})");
            else if (p.Value.ValueKind == JsonValueKind.Null && !property.PropertyType.IsValueType && !property.IsSetNullable)
                wrongKind.Add($"{Key(path, p.Name)}: must be {Expected(contract.Options.GetTypeInfo(property.PropertyType))}, not null"); // declared non-nullable: null is not "the default"
            else
                Walk(p.Value, contract.Options.GetTypeInfo(property.PropertyType), Key(path, p.Name), unknown, wrongKind);
        }
    }

    /// <summary>What a text, list, map or object must be, in the words of every message of the walk (wrong kind, null).</summary>
    private static string Expected(JsonTypeInfo contract) =>
        contract.Type == typeof(string) ? "a text in quotes"
        : contract.Kind == JsonTypeInfoKind.Enumerable ? "a list [ … ]"
        : contract.Kind == JsonTypeInfoKind.Dictionary ? "an object of named entries { \"name\": … }"
        : contract.Kind == JsonTypeInfoKind.Object ? "an object { … } (e.g. {} for the defaults)"
        : "a value";

    private static string Expected(Type t) =>
        t == typeof(bool) ? "true or false" : t.IsPrimitive || t == typeof(decimal) ? "a number" : "a value";

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => $"the text \"{Bounded(e.GetString() ?? "")}\"",
        JsonValueKind.Number => $"the number {Bounded(e.GetRawText())}",
        JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
        _ => "null",
    };

    private static string Bounded(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
