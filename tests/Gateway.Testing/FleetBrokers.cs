using System.Globalization;
using System.Security.Cryptography;

namespace Gateway.Testing;

/// <summary>
/// The two broker layouts of README "Running a fleet", from the very files it shows (deploy/mosquitto): a central
/// mosquitto (TLS with the test CA, per-user passwords, the ACL) and a site mosquitto (the same ACL) whose bridge
/// carries its boxes' topics to the centre over TLS as user site-a and the alarms back. Each box gets a broker user
/// named after its id; "fleet" exists on both. Passwords are random per run.
/// </summary>
public sealed class FleetBrokers : IDisposable
{
    public const string FleetUser = "fleet";
    public const string BridgeUser = "site-a";
    public const string BridgeNotification = "$SYS/broker/connection/bridge-site-a/state";

    private readonly TempDirectory _dir = new("fleet-brokers");
    private readonly Dictionary<string, string> _passwords = new(StringComparer.Ordinal);

    /// <param name="siteBoxes">Boxes with a user on the site broker.</param>
    /// <param name="centralBoxes">Boxes with a user on the central broker (the direct layout).</param>
    public FleetBrokers(IEnumerable<string> siteBoxes, IEnumerable<string> centralBoxes)
    {
        Certificates = new TestCertificates();
        var acl = File.ReadAllText(DeployFile("acl"));
        var files = new Dictionary<string, string> { ["acl"] = acl };
        var centralUsers = Users([FleetUser, BridgeUser, .. centralBoxes]);
        var siteUsers = Users([FleetUser, .. siteBoxes]);
        var centralPort = FreePort.Get();
        Central = new MosquittoPeer(DeployFile("central.conf"), centralPort,
            new Dictionary<string, string> { ["listener 8883"] = Listener(centralPort) }, centralUsers, files, Certificates, FleetUser);
        var sitePort = FreePort.Get();
        Site = new MosquittoPeer(DeployFile("site.conf"), sitePort,
            new Dictionary<string, string>
            {
                ["listener 1883"] = Listener(sitePort),
                ["central.example.org:8883"] = string.Create(CultureInfo.InvariantCulture, $"localhost:{centralPort}"),
                ["SITE-A-PASSWORD"] = _passwords[BridgeUser],
            },
            siteUsers, new Dictionary<string, string>(files) { ["certs/ca.pem"] = File.ReadAllText(Certificates.CaFile) }, tls: null, FleetUser);
    }

    public TestCertificates Certificates { get; }
    public MosquittoPeer Central { get; }
    public MosquittoPeer Site { get; }

    /// <summary>The broker password of a user (a box id, "fleet", "site-a").</summary>
    public string Password(string user) => _passwords[user];

    /// <summary>A file holding the password of <paramref name="user"/> (for `gateway fleet --password-file`).</summary>
    public string PasswordFile(string user)
    {
        var path = _dir.File(user + ".password");
        File.WriteAllText(path, _passwords[user]);
        return path;
    }

    public static string DeployFile(string name) => Path.Combine(Repository.Root, "deploy", "mosquitto", name);

    private static string Listener(int port) => string.Create(CultureInfo.InvariantCulture, $"listener {port} 127.0.0.1");

    private Dictionary<string, string> Users(IEnumerable<string> names)
    {
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!_passwords.TryGetValue(name, out var password))
                _passwords[name] = password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
            users[name] = password;
        }
        return users;
    }

    public void Dispose()
    {
        Site.Dispose();
        Central.Dispose();
        Certificates.Dispose();
        _dir.Dispose();
    }
}
