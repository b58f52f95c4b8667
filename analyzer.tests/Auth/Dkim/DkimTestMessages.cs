using System.Security.Cryptography;
using System.Text;
using DmarcAnalyzer.Auth.Dkim;

namespace DmarcAnalyzer.Tests.Auth.Dkim;

/// <summary>Keys, a sample message, and signing helpers shared by the DKIM tests.</summary>
internal static class DkimTestMessages
{
    public const string Message =
        "From: Joe SixPack <joe@football.example.com>\r\n" +
        "To: Suzie Q <suzie@shopping.example.net>\r\n" +
        "Subject: Is dinner ready?\r\n" +
        "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n" +
        "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n" +
        "\r\n" +
        "Hi.\r\n" +
        "\r\n" +
        "We lost the game.  Are you hungry yet?\r\n" +
        "\r\n" +
        "Joe.\r\n";

    private static readonly Lazy<RSA> SharedRsa = new(() => RSA.Create(2048));

    // RFC 8032 §7.1 TEST 1 secret key.
    public static readonly byte[] Ed25519Seed = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");

    public static RSA Rsa => SharedRsa.Value;

    public static string RsaPem => Rsa.ExportRSAPrivateKeyPem();

    public static DkimSigningKey Key(string algorithm)
    {
        if (algorithm == DkimSignature.Ed25519Sha256)
            return DkimSigningKey.Ed25519(Ed25519Seed);
        var copy = RSA.Create();
        copy.ImportRSAPrivateKey(Rsa.ExportRSAPrivateKey(), out _);
        return DkimSigningKey.Rsa(copy);
    }

    public static async Task<string> SignAsync(string message, string algorithm, DkimSignerOptions? options = null,
        string domain = "football.example.com", string selector = "sel", TimeProvider? time = null)
    {
        using var key = Key(algorithm);
        var signer = new DkimSigner(key, domain, selector, options, time);
        var field = await signer.SignAsync(Stream(message), CancellationToken.None);
        return field + message;
    }

    public static FakeDnsResolver KeyDns(string algorithm, string domain = "football.example.com", string selector = "sel")
    {
        using var key = Key(algorithm);
        return new FakeDnsResolver().Txt($"{selector}._domainkey.{domain}", key.PublicKeyRecord());
    }

    public static MemoryStream Stream(string message) => new(Encoding.Latin1.GetBytes(message));

    public static async Task<IReadOnlyList<DkimResult>> VerifyAsync(string message, FakeDnsResolver dns, TimeProvider? time = null) =>
        await new DkimVerifier(dns, time).VerifyAsync(Stream(message), CancellationToken.None);
}
