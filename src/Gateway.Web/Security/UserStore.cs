using System.Security.Cryptography;
using System.Text.Json;

namespace Gateway.Web.Security;

/// <summary>
/// The page's one account ("admin") and the first-start setup code, kept in the web state directory. There is no
/// default password: until one is set, only the setup code (written to the journal and to "setup-code", mode 0600)
/// lets anyone choose it. Writes are atomic (temp file, fsync, rename). Thread-safe.
/// </summary>
public sealed class UserStore
{
    public const string Admin = "admin";
    private readonly string _usersFile;
    private readonly string _setupFile;
    private readonly Lock _lock = new();
    private Dictionary<string, string> _hashes;

    public UserStore(string stateDirectory)
    {
        Directory.CreateDirectory(stateDirectory);
        File.SetUnixFileMode(stateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _usersFile = Path.Combine(stateDirectory, "users.json");
        _setupFile = Path.Combine(stateDirectory, "setup-code");
        _hashes = File.Exists(_usersFile)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(_usersFile)) ?? []
            : [];
        if (!IsSetUp && !File.Exists(_setupFile))
            WriteSecret(_setupFile, NewSetupCode() + "\n");
    }

    public bool IsSetUp
    {
        get
        {
            lock (_lock)
                return _hashes.ContainsKey(Admin);
        }
    }

    /// <summary>The one-time code that authorises setting the first password (null once set up).</summary>
    public string? SetupCode => IsSetUp ? null : File.ReadAllText(_setupFile).Trim();

    public string SetupCodeFile => _setupFile;

    public bool Verify(string user, string password)
    {
        string? stored;
        lock (_lock)
            _hashes.TryGetValue(user, out stored);
        // Hash even for an unknown user: the answer takes as long either way.
        return PasswordHasher.Verify(password, stored ?? Dummy.Value) && stored is not null;
    }

    /// <summary>First start: the setup code proves access to the box; the code is spent.</summary>
    public bool TrySetUp(string code, string password)
    {
        lock (_lock)
        {
            if (_hashes.ContainsKey(Admin) || !CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.UTF8.GetBytes(code.Trim().ToUpperInvariant()), System.Text.Encoding.UTF8.GetBytes(SetupCode ?? "")))
                return false;
            SetPasswordLocked(Admin, password);
            File.Delete(_setupFile);
            return true;
        }
    }

    public void SetPassword(string user, string password)
    {
        lock (_lock)
            SetPasswordLocked(user, password);
    }

    private void SetPasswordLocked(string user, string password)
    {
        var next = new Dictionary<string, string>(_hashes) { [user] = PasswordHasher.Hash(password) };
        WriteSecret(_usersFile, JsonSerializer.Serialize(next));
        _hashes = next;
    }

    // Made on the first login attempt for an unknown user, not at start (600,000 iterations cost 0.3 s).
    private static readonly Lazy<string> Dummy = new(() => PasswordHasher.Hash(Guid.NewGuid().ToString()));

    /// <summary>10 characters of an alphabet without look-alikes (no 0/O, 1/I/L): about 48 bits.</summary>
    private static string NewSetupCode()
    {
        const string alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
        return string.Create(10, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
                span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
    }

    private static void WriteSecret(string path, string text)
    {
        var temp = path + ".tmp";
        using (var s = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            s.Write(System.Text.Encoding.UTF8.GetBytes(text));
            s.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
