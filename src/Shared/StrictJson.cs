using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Shared;

/// <summary>
/// How the gateway reads the files people write (the configuration, device profiles): camelCase keys, comments and
/// trailing commas allowed, unknown keys refused (a typo must not be silently ignored), and every fault reported as
/// "key.path: what is wrong" in plain words — all of them at once: the text is first walked against the shape of
/// <c>T</c>, naming each unknown key (with the keys known there) and each value of the wrong kind. One source file
/// compiled into Gateway.Hardware and Gateway.Configuration.
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

    private static readonly JsonSerializerOptions Lenient = new(Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip };

    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>
    /// As <see cref="Read{T}(string, out List{string})"/>, then the checks of the file's own rules (<paramref name="validate"/>)
    /// on what was read — also when the only problems were unknown keys — so that every problem is named in one round.
    /// </summary>
    public static T? Read<T>(string json, Func<T, IEnumerable<string>> validate, out List<string> problems)
        where T : class
    {
        var value = Read<T>(json, out problems);
        if (value is not null)
            problems.AddRange(validate(value));
        return value;
    }

    /// <summary>
    /// Reads <typeparamref name="T"/>, listing every problem in <paramref name="problems"/>. When the only problems are
    /// unknown keys the value is still returned (read without them), so that the caller can add its own checks to the
    /// list and say everything at once; with a value of the wrong kind or bad syntax it is null.
    /// </summary>
    public static T? Read<T>(string json, out List<string> problems)
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
            Walk(document.RootElement, typeof(T), "", problems, wrongKind);
            var unknownOnly = wrongKind.Count == 0;
            problems.AddRange(wrongKind);
            if (!unknownOnly)
                return null;
        }
        try
        {
            var value = JsonSerializer.Deserialize<T>(json, problems.Count == 0 ? Options : Lenient);
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

    private static string Describe(JsonException e)
    {
        // System.Text.Json names the JSON path of the fault, e.g. "$.destinations[0].port".
        var cut = e.Message.IndexOf(" Path:", StringComparison.Ordinal);
        var message = cut > 0 ? e.Message[..cut] : e.Message;
        var at = e.Path?.TrimStart('$', '.') is { Length: > 0 } p ? p : e.LineNumber is { } line ? $"line {line + 1}" : "(root)";
        return $"{at}: {message}";
    }

    private static string Key(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static void Walk(JsonElement e, Type type, string path, List<string> unknown, List<string> wrongKind)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        var at = path.Length == 0 ? "(root)" : path;
        if (e.ValueKind == JsonValueKind.Null)
        {
            if (t.IsValueType && Nullable.GetUnderlyingType(type) is null)
                wrongKind.Add($"{at}: must be {Expected(t)}, not null");
            return;
        }
        if (t == typeof(JsonElement) || t == typeof(object))
            return; // free-form (the exam's attributes): checked where it is used
        if (t == typeof(string))
        {
            if (e.ValueKind != JsonValueKind.String)
                wrongKind.Add($"{at}: must be a text in quotes, not {Kind(e)}");
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
        if (DictionaryValue(t) is { } valueType)
        {
            if (e.ValueKind != JsonValueKind.Object)
            {
                wrongKind.Add($"{at}: must be an object of named entries {{ \"name\": … }}, not {Kind(e)}");
                return;
            }
            foreach (var p in e.EnumerateObject())
                Walk(p.Value, valueType, Key(path, p.Name), unknown, wrongKind);
            return;
        }
        if (ListElement(t) is { } elementType)
        {
            if (e.ValueKind != JsonValueKind.Array)
            {
                wrongKind.Add($"{at}: must be a list [ … ], not {Kind(e)}");
                return;
            }
            var i = 0;
            foreach (var item in e.EnumerateArray())
                Walk(item, elementType, $"{path}[{i++}]", unknown, wrongKind);
            return;
        }
        if (e.ValueKind != JsonValueKind.Object)
        {
            wrongKind.Add($"{at}: must be an object {{ … }} (e.g. {{}} for the defaults), not {Kind(e)}");
            return;
        }
        var properties = t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0)
            .ToDictionary(p => Options.PropertyNamingPolicy!.ConvertName(p.Name), StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject())
        {
            if (properties.TryGetValue(p.Name, out var property))
                Walk(p.Value, property.PropertyType, Key(path, p.Name), unknown, wrongKind);
            else
                unknown.Add($"{Key(path, p.Name)}: unknown key (known here: {string.Join(", ", properties.Keys.Order(StringComparer.Ordinal))})");
        }
    }

    private static Type? DictionaryValue(Type t)
    {
        foreach (var i in t.IsInterface ? [t, .. t.GetInterfaces()] : t.GetInterfaces())
        {
            if (i.IsGenericType && (i.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>) || i.GetGenericTypeDefinition() == typeof(IDictionary<,>))
                && i.GetGenericArguments()[0] == typeof(string))
                return i.GetGenericArguments()[1];
        }
        return null;
    }

    private static Type? ListElement(Type t)
    {
        if (t.IsArray)
            return t.GetElementType();
        if (t == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(t))
            return null;
        foreach (var i in t.IsInterface ? [t, .. t.GetInterfaces()] : t.GetInterfaces())
        {
            if (i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
                return i.GetGenericArguments()[0];
        }
        return null;
    }

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
