namespace Gateway.Host;

/// <summary>A usage mistake; the message names the argument at fault.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Positional arguments and --options of one verb.</summary>
public sealed class CommandArgs
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public List<string> Positional { get; } = [];

    /// <summary>
    /// The options that take no value (issue #15 item 3): `--tls a.dcm b.dcm` must not take a.dcm as the value of
    /// --tls. Every verb shares this list; an option not in it takes the next argument as its value.
    /// </summary>
    public static readonly IReadOnlySet<string> Flags = new HashSet<string>(StringComparer.Ordinal)
    {
        "check", "help", "noise", "tls", "tls-require-client-cert", "yes", "json", "still",
    };

    public static CommandArgs Parse(IReadOnlyList<string> args)
    {
        var result = new CommandArgs();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a == "--")
            {
                result.Positional.AddRange(args.Skip(i + 1));
                break;
            }
            // "-k KEY" (a one-letter option, as dcmtk's findscu spells it) is read like "--k KEY".
            var shortOption = a.Length == 2 && a[0] == '-' && char.IsAsciiLetter(a[1]) && a != "-h";
            if ((a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2) || shortOption)
            {
                var name = shortOption ? a[1..] : a[2..];
                string? value = null;
                var eq = name.IndexOf('=', StringComparison.Ordinal);
                if (eq >= 0)
                {
                    value = name[(eq + 1)..];
                    name = name[..eq];
                    if (Flags.Contains(name))
                        throw new UsageException($"--{name} takes no value");
                }
                else if (!Flags.Contains(name) && i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    value = args[++i];
                }
                if (!result._options.TryGetValue(name, out var list))
                    result._options[name] = list = [];
                list.Add(value ?? "");
                continue;
            }
            result.Positional.Add(a);
        }
        return result;
    }

    public string? Option(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var v) ? v[^1] : null;
    }

    /// <summary>Every value of an option given several times (in order).</summary>
    public IReadOnlyList<string> Options(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var v) ? v : [];
    }

    public bool Flag(string name)
    {
        _used.Add(name);
        return _options.ContainsKey(name);
    }

    public string Required(string name) =>
        Option(name) is { Length: > 0 } v ? v : throw new UsageException($"--{name} is required");

    /// <summary>Fails on options the verb did not ask for (typos must not pass silently).</summary>
    public void RejectUnknown()
    {
        var unknown = _options.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new UsageException($"unknown option --{unknown[0]}");
    }

    public void ExpectPositional(int count, string what)
    {
        if (Positional.Count != count)
            throw new UsageException($"expected {what}, got {Positional.Count} argument(s)");
    }
}
