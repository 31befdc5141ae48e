using System.Globalization;
using Gateway.Dicom.Network;

namespace Gateway.Host.Commands;

/// <summary>The connection options shared by `echo` and `send`.</summary>
internal static class NetworkArgs
{
    public static DicomClientOptions Client(CommandArgs args)
    {
        var (host, port) = HostPort(args.Required("to"));
        var called = AeTitle(args.Required("called"), "--called");
        var calling = AeTitle(args.Option("calling") ?? "GATEWAY", "--calling");
        return new DicomClientOptions
        {
            Host = host,
            Port = port,
            CalledAE = called,
            CallingAE = calling,
            Tls = Tls(args, server: false),
            Identity = Identity(args),
        };
    }

    /// <summary>User Identity (PS3.7 §D.3.3.7) for PACS that require it; the password comes from a file, never the command line.</summary>
    private static UserIdentity? Identity(CommandArgs args)
    {
        var user = args.Option("user");
        var passwordFile = args.Option("password-file");
        if (user is null)
        {
            if (passwordFile is not null)
                throw new UsageException("--password-file needs --user");
            return null;
        }
        if (passwordFile is null)
            return new UserIdentity(1, true, System.Text.Encoding.UTF8.GetBytes(user), []);
        if (!File.Exists(passwordFile))
            throw new UsageException($"--password-file {passwordFile}: no such file");
        return UserIdentity.UsernamePassword(user, File.ReadAllText(passwordFile).TrimEnd('\r', '\n'));
    }

    public static (string Host, int Port) HostPort(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new UsageException($"--to '{value}' is not HOST:PORT with a port from 1 to 65535");
        return (value[..colon].Trim('[', ']'), port);
    }

    public static string AeTitle(string value, string option)
    {
        if (value.Trim().Length == 0 || value.Length > 16 || value.Contains('\\', StringComparison.Ordinal) || value.Any(char.IsControl))
            throw new UsageException($"{option} '{value}' is not an AE title (1 to 16 characters, no backslash or control characters)");
        return value.Trim();
    }

    public static int Port(string value, string option) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535
            ? port : throw new UsageException($"{option} '{value}' is not a port from 0 to 65535");

    public static DicomTlsOptions? Tls(CommandArgs args, bool server)
    {
        var enabled = args.Flag("tls");
        var ca = args.Option("tls-ca");
        var cert = args.Option("tls-cert");
        var key = args.Option("tls-key");
        if (!enabled)
        {
            if (ca is not null || cert is not null || key is not null)
                throw new UsageException("--tls-ca, --tls-cert and --tls-key need --tls");
            return null;
        }
        if (ca is null)
            throw new UsageException("--tls needs --tls-ca FILE (the CA that signed the peer's certificate)");
        if (server && (cert is null || key is null))
            throw new UsageException("an SCP with --tls needs --tls-cert FILE and --tls-key FILE");
        if ((cert is null) != (key is null))
            throw new UsageException("--tls-cert and --tls-key go together");
        foreach (var (file, option) in new[] { (ca, "--tls-ca"), (cert, "--tls-cert"), (key, "--tls-key") })
        {
            if (file is not null && !File.Exists(file))
                throw new UsageException($"{option} {file}: no such file");
        }
        return new DicomTlsOptions { CaFile = ca, CertificateFile = cert, KeyFile = key, RequireClientCertificate = server && args.Flag("tls-require-client-cert") };
    }
}
