using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Shared;

/// <summary>
/// How the gateway reads the files people write (the configuration, device profiles): camelCase keys, comments and
/// trailing commas allowed, unknown keys refused (a typo must not be silently ignored), and a parse error reported
/// as "key.path: what is wrong". One source file compiled into Gateway.Hardware and Gateway.Host.
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

    /// <summary>Reads <typeparamref name="T"/>; null with <paramref name="problem"/> set when the text is not one.</summary>
    public static T? Read<T>(string json, out string? problem)
        where T : class
    {
        try
        {
            problem = null;
            var value = JsonSerializer.Deserialize<T>(json, Options);
            if (value is null)
                problem = "the file is empty";
            return value;
        }
        catch (JsonException e)
        {
            // System.Text.Json names the JSON path of the fault, e.g. "$.destinations[0].port".
            var cut = e.Message.IndexOf(" Path:", StringComparison.Ordinal);
            problem = $"{e.Path?.TrimStart('$', '.') ?? "(root)"}: {(cut > 0 ? e.Message[..cut] : e.Message)}";
            return null;
        }
    }
}
