using System.Globalization;
using System.Security.Cryptography;

namespace Gateway.Web.Security;

/// <summary>
/// PBKDF2-HMAC-SHA256 with a per-user random salt and 600,000 iterations (OWASP's 2023 figure for this function),
/// stored as "pbkdf2-sha256$iterations$salt$hash" (base64). Compared in constant time.
/// </summary>
public static class PasswordHasher
{
    public const int Iterations = 600_000;
    public const int MinLength = 12;

    public static string Hash(string password, int iterations = Iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, 32);
        return string.Create(CultureInfo.InvariantCulture, $"pbkdf2-sha256${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != "pbkdf2-sha256" || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations))
            return false;
        var salt = Convert.FromBase64String(parts[2]);
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Why a new password is not acceptable, or null.</summary>
    public static string? Weakness(string password, string confirmation)
    {
        if (password != confirmation)
            return "the two passwords differ";
        if (password.Length < MinLength)
            return $"a password needs at least {MinLength} characters";
        if (password.Distinct().Count() < 5)
            return "a password needs more than a few different characters";
        return null;
    }
}
