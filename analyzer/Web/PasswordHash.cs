using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DmarcAnalyzer.Web;

/// <summary>
/// Passwords stored as <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c> (base64): PBKDF2-HMAC-SHA256 with OWASP's
/// recommended 600,000 iterations (Password Storage Cheat Sheet, 2023). The count is stored with each hash, so it can
/// rise later without invalidating the hashes already stored.
/// </summary>
internal static class PasswordHash
{
    public const int Iterations = 600_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    private const string Scheme = "pbkdf2-sha256";

    /// <summary>Shorter passwords are refused, on the command line and on the dashboard alike.</summary>
    public const int MinLength = 8;

    /// <summary>Passwords longer than this are refused: PBKDF2's cost grows with them, and nobody types more.</summary>
    public const int MaxLength = 1024;

    public static string Hash(string password, int iterations = Iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Join('$', Scheme, iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    public static bool Verify(string password, string stored)
    {
        if (password.Length > MaxLength)
            return false;
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations)
            || iterations < 1)
            return false;
        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
